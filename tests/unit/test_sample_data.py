"""The shipped sample landing area: deterministic, equal to its generator's output, calibrated."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from sample_data import generate, headline

SHIPPED = Path(__file__).resolve().parents[2] / "include" / "sample_landing"
MONTHS = [f"2023-{m:02d}" for m in range(4, 13)] + [f"2024-{m:02d}" for m in range(1, 4)]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate.write_landing(out)
    return out


def test_generating_twice_gives_identical_trees(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    generate.write_landing(first)
    generate.write_landing(second)
    assert tree(first) == tree(second)
    generate.write_landing(first)  # regenerating over an earlier output replaces it exactly
    assert tree(first) == tree(second)


def test_shipped_sample_equals_generator_output(generated: Path) -> None:
    shipped, fresh = tree(SHIPPED), tree(generated)
    assert sorted(shipped) == sorted(fresh), "file list differs: run `make sample`"
    differing = [name for name in fresh if shipped[name] != fresh[name]]
    assert differing == [], "content differs: run `make sample`"


def test_march_2024_headline_is_the_reported_one(generated: Path) -> None:
    fig = headline.compute(generated, "2024-03")
    assert fig.certified_cities == 30
    assert fig.progress_pct == Decimal("27.57")
    assert fig.investment_value_thb == Decimal("6842970000.00")
    ranked = sorted(fig.city_progress_pct.items(), key=lambda kv: -kv[1])
    assert ranked[:3] == [
        ("MAE_MOH", Decimal("96.67")),
        ("KHLONG_PHADUNG", Decimal("89.38")),
        ("SAMYAN", Decimal("85.03")),
    ]
    assert len(ranked) == 30 and all(value < Decimal("80") for _, value in ranked[3:])
    counts = fig.obstacle_projects
    others = max(n for code, n in counts.items() if code not in {"BUDGET", "POLICY", "PERSONNEL"})
    assert counts["BUDGET"] > counts["POLICY"] > counts["PERSONNEL"] > others
    assert headline.misses(fig) == []


def test_submissions_are_consistent_and_progress_rises(generated: Path) -> None:
    assert headline.row_problems(generated) == []
    progress = [headline.compute(generated, month).progress_pct for month in MONTHS]
    assert progress == sorted(progress) and progress[0] < progress[-1]


def test_layout_and_encoding(generated: Path) -> None:
    assert sorted(p.name for p in (generated / "submissions").iterdir()) == MONTHS
    for path in generated.rglob("*.csv"):
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data, path
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        if path.parent.parent.name == "submissions":
            assert {r["city_code"] for r in rows} == {path.stem}
            assert {r["report_month"] for r in rows} == {path.parent.name}


def test_refuses_to_clear_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "submissions").mkdir()
    (tmp_path / "submissions" / "real.csv").write_text("city_code\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        generate.write_landing(tmp_path)
    assert (tmp_path / "submissions" / "real.csv").exists()
