"""The benchmark's landing area: writing only the newest months gives those months the very bytes a full
generation gives them (so a benchmark's one more month is the month a full landing area would hold)."""

from __future__ import annotations

from pathlib import Path

from bench.generate import generate


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_writing_from_a_month_writes_that_month_as_a_full_generation_does(tmp_path: Path):
    full = generate(tmp_path / "full", scale=0.001, months=3)
    newest = generate(tmp_path / "newest", scale=0.001, months=3, write_from=2)
    written = _files(tmp_path / "newest" / "submissions")
    assert written and all(name.startswith("2019-06/") for name in written)
    assert written == {k: v for k, v in _files(tmp_path / "full" / "submissions").items() if k in written}
    assert newest["rows"] == full["rows"]
    assert _files(tmp_path / "newest" / "registry") == _files(tmp_path / "full" / "registry")
