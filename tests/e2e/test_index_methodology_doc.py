"""docs/index-methodology.md cannot drift from the code: every figure it quotes is marked
(`<!--n:name-->value`) and recomputed here from the shipped sample's warehouse (the shared end-to-end run
of `smartcity run`) or from the code's settings, and must read exactly as the document prints it; the worked
example is recomputed by hand from its own table; and no decimal number in the document goes unmarked.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml

from smartcity.index.audit import calibrate_weights, effective_weights
from smartcity.index.methodology import METHODOLOGY_VERSION
from smartcity.index.pillars import DEFAULT_WEIGHTS, INTENDED_IMPORTANCE, PILLARS
from smartcity.index.uncertainty import (
    NO_EXCLUSION,
    SOURCES,
    Draws,
    MonthModel,
    draw,
    rank_bands,
    weight_concentration,
)

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "index-methodology.md"
DOMAIN = REPO.parent / "shared" / "domain.md"
# The lines of ../shared/domain.md the document quotes, kept here so the check runs where ../shared is absent
# (a clean clone alone); where it is present, the excerpt must still be what it says.
DOMAIN_EXCERPT = Path(__file__).with_name("domain_excerpt.md")
# A marked figure: `<!--n:name-->` and the text up to a blank, a table bar, markup, a bracket, or a
# punctuation mark not followed by a digit (`1,024` and `0.25` are one figure; `0.25,` and `0.25.` end).
MARKER = re.compile(r"<!--n:([a-z0-9_.]+)-->(.+?)(?=[\s|<*()–]|[,;:.](?!\d)|$)", re.M)
MARCH, FEBRUARY = "2024-03-01", "2024-02-01"
CALIBRATION_FLOOR = inspect.signature(calibrate_weights).parameters["floor"].default
V1_WEIGHTS = {"progress": 0.3, "schedule": 0.2, "investment": 0.1, "plan_quality": 0.2, "reporting": 0.1}
V1_WEIGHTS["coverage"] = 0.1
DBT_VARS = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
CONFIG = {name: DBT_VARS[name] for name in ("index_mc_draws", "index_mc_sobol_draws", "index_mc_seed")}


class Sample:
    """The sample's published warehouse, with what the figures need computed once."""

    def __init__(self, warehouse: Path):
        self.con = duckdb.connect(str(warehouse), read_only=True)

    def value(self, sql: str, params: list | None = None):
        return self.con.execute(sql, params or []).fetchone()[0]

    @cached_property
    def index(self):
        return self.con.execute("select * from marts.city_index_monthly order by month, city_code").df()

    @cached_property
    def months(self) -> list:
        ranked = self.index[self.index["ranked"]]
        return [group for _, group in ranked.groupby("month", sort=True)]

    def pillars_by_month(self, columns: list[str]) -> list[np.ndarray]:
        return [group[columns].to_numpy(dtype=float) for group in self.months]

    def city(self, code: str, month: str = MARCH) -> dict:
        rows = self.index[(self.index["city_code"] == code) & (self.index["month"].astype(str) == month)]
        return rows.iloc[0].to_dict()

    def mean_effective(self, weights: dict[str, float], columns: list[str]) -> np.ndarray:
        vector = np.array([weights[c if c != "disbursement" else "investment"] for c in columns])
        return np.mean([effective_weights(m, vector) for m in self.pillars_by_month(columns)], axis=0)

    @cached_property
    def v1_effective(self) -> dict[str, float]:
        """Version 1's weights on the sample's pillars (its investment pillar was the disbursement rate)."""
        columns = ["progress", "schedule", "disbursement", "plan_quality", "reporting", "coverage"]
        return dict(zip(columns, self.mean_effective(V1_WEIGHTS, columns), strict=True))

    def effective(self, weights: dict[str, float]) -> dict[str, float]:
        return dict(zip(PILLARS, self.mean_effective(weights, list(PILLARS)), strict=True))

    def rmse(self, weights: dict[str, float]) -> float:
        intended = np.array([INTENDED_IMPORTANCE[p] for p in PILLARS])
        vector = np.array([weights[p] for p in PILLARS])
        gaps = [effective_weights(m, vector) - intended for m in self.pillars_by_month(list(PILLARS))]
        return float(np.sqrt(np.mean(np.square(gaps))))

    @cached_property
    def weights(self) -> np.ndarray:
        return np.array([DEFAULT_WEIGHTS[p] for p in PILLARS])

    @cached_property
    def concentration(self) -> float:
        intended = np.array([INTENDED_IMPORTANCE[p] for p in PILLARS])
        return weight_concentration(self.weights, also_cover=intended)

    def bands(self, month_frame, seed: int = CONFIG["index_mc_seed"], design=None):
        frame = month_frame.sort_values("city_code")
        model = MonthModel(measured(frame), frame["peer_group"].to_numpy())
        design = design or draw(self.weights, CONFIG["index_mc_draws"], seed, self.concentration)
        return rank_bands(model, self.weights, design, 0.9)

    @cached_property
    def another_seed(self) -> tuple[int, int, int]:
        """Bands with seed 1 instead of the configured seed: city-months whose overall band changed, the
        largest move of a band end, and the city-months compared."""
        changed, largest, total = 0, 0, 0
        for frame in self.months:
            published = frame.sort_values("city_code")
            other = self.bands(frame, seed=1)
            moves = np.maximum(
                np.abs(other.rank_p05 - published["rank_p05"].to_numpy()),
                np.abs(other.rank_p95 - published["rank_p95"].to_numpy()),
            )
            changed += int((moves > 0).sum())
            largest = max(largest, int(moves.max()))
            total += len(frame)
        return changed, largest, total

    def weights_only_width(self, concentration: float) -> float:
        """Mean overall band width in March when only the weights vary (version 1's Monte Carlo)."""
        frame = self.months[-1]
        rng = np.random.default_rng(CONFIG["index_mc_seed"])
        rows = 2 * CONFIG["index_mc_draws"]
        zero = np.zeros(rows, dtype=np.int64)
        sampled = rng.dirichlet(self.weights * concentration, size=rows)
        only = Draws(sampled, zero, zero, np.full(rows, NO_EXCLUSION), zero)
        halves = (only.rows(np.arange(rows // 2)), only.rows(np.arange(rows // 2, rows)))
        bands = self.bands(frame, design=halves)
        return float(np.mean(bands.rank_p95 - bands.rank_p05))

    @cached_property
    def calibrated(self) -> dict[str, float]:
        intended = np.array([INTENDED_IMPORTANCE[p] for p in PILLARS])
        weights = calibrate_weights(self.pillars_by_month(list(PILLARS)), intended)
        return dict(zip(PILLARS, weights, strict=True))


def measured(frame) -> np.ndarray:
    """The published pillars with the imputed ones taken out again: what the Monte Carlo starts from."""
    values = frame[list(PILLARS)].to_numpy(dtype=float)
    for row, imputed in enumerate(frame["imputed_pillars"]):
        for pillar in imputed:
            values[row, PILLARS.index(pillar)] = np.nan
    return values


def pct(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}"


def figures(s: Sample) -> dict[str, Callable[[], str]]:
    march = s.index[s.index["month"].astype(str) == MARCH]
    ranked_march = march[march["ranked"]]
    correlations = s.con.execute(
        "select pillar_a || '_' || pillar_b, min(pearson), max(pearson), min(spearman) "
        "from marts.index_pillar_correlations group by all"
    ).fetchall()
    correlation = {pair: (low, high, rho) for pair, low, high, rho in correlations}
    audit = s.con.execute(
        "select pillar, avg(effective_weight), min(effective_weight), max(effective_weight) "
        "from marts.index_weight_audit group by pillar"
    ).fetchall()
    effective = {pillar: (mean, low, high) for pillar, mean, low, high in audit}
    sobol = {
        source: (first, total, first_se, total_se)
        for source, first, total, first_se, total_se in s.con.execute(
            "select source, sobol_first, sobol_total, sobol_first_se, sobol_total_se "
            "from marts.index_uncertainty where month = ?",
            [MARCH],
        ).fetchall()
    }
    samyan, samyan_before = s.city("SAMYAN"), s.city("SAMYAN", FEBRUARY)
    changes = dict(
        s.con.execute(
            "select pillar, change_from_previous_month from marts.city_index_changes "
            "where city_code = 'SAMYAN' and month = ?",
            [MARCH],
        ).fetchall()
    )
    from scipy.stats import beta

    c = s.concentration
    interval = {
        p: beta.ppf([0.05, 0.95], c * w, c * (1 - w)) for p, w in zip(PILLARS, s.weights, strict=True)
    }
    others = [abs(h) for pair, (_, h, _) in correlation.items() if "disbursement" not in pair]
    others = sorted(others)[:-1]  # all but progress-schedule, the largest
    width = {
        kind: float(np.mean(ranked_march[f"{kind}_p95"] - ranked_march[f"{kind}_p05"]))
        for kind in ("rank", "rank_peer_group")
    }
    tiers = ranked_march.groupby("peer_group")["tier"].max().to_dict()
    samyan_money = s.con.execute(
        "select spend_to_date_thb, budget_thb from marts.city_progress_monthly "
        "where city_code = ? and month = ?",
        ["SAMYAN", MARCH],
    ).fetchone()
    result: dict[str, Callable[[], str]] = {
        "version": lambda: METHODOLOGY_VERSION,
        "cities.ranked": lambda: str(len(ranked_march)),
        "cities.not_ranked_year": lambda: str(int((~s.index["ranked"]).sum())),
        "cities.imputed_year": lambda: str(int(s.index["imputed_pillars"].map(len).sum())),
        "city_months": lambda: str(len(s.index)),
        "corr.progress_disbursement.min": lambda: f"{correlation['progress_disbursement'][0]:.3f}",
        "corr.progress_disbursement.max": lambda: f"{correlation['progress_disbursement'][1]:.3f}",
        "corr.progress_disbursement.spearman_min": lambda: f"{correlation['progress_disbursement'][2]:.3f}",
        "corr.progress_schedule.min": lambda: f"{correlation['progress_schedule'][0]:.2f}",
        "corr.progress_schedule.max": lambda: f"{correlation['progress_schedule'][1]:.2f}",
        "corr.other.max": lambda: f"{max(others):.2f}",
        "v1.plan_quality": lambda: pct(s.v1_effective["plan_quality"]),
        "v1.delivery": lambda: pct(
            s.v1_effective["progress"] + s.v1_effective["schedule"] + s.v1_effective["disbursement"]
        ),
        "v1.reporting_coverage": lambda: pct(s.v1_effective["reporting"] + s.v1_effective["coverage"]),
        "rmse.naive": lambda: f"{s.rmse(dict(INTENDED_IMPORTANCE)):.3f}",
        "rmse.calibrated": lambda: f"{s.rmse(dict(DEFAULT_WEIGHTS)):.3f}",
        "mc.draws": lambda: str(CONFIG["index_mc_draws"]),
        "sensitivity.step": lambda: f"{DBT_VARS['index_sensitivity_step']:.2f}",
        "calibration.floor": lambda: f"{CALIBRATION_FLOOR:.2f}",
        "mc.band_draws": lambda: f"{2 * CONFIG['index_mc_draws']:,}",
        "mc.sobol_rows": lambda: str(CONFIG["index_mc_sobol_draws"]),
        "mc.sobol_evaluations": lambda: f"{(2 + len(SOURCES)) * CONFIG['index_mc_sobol_draws']:,}",
        "mc.seed": lambda: str(CONFIG["index_mc_seed"]),
        "mc.concentration": lambda: f"{s.concentration:.1f}",
        "seed.changed": lambda: str(s.another_seed[0]),
        "seed.largest": lambda: str(s.another_seed[1]),
        "seed.total": lambda: str(s.another_seed[2]),
        "width.overall": lambda: f"{width['rank']:.1f}",
        "width.peer": lambda: f"{width['rank_peer_group']:.1f}",
        "width.weights_only": lambda: f"{s.weights_only_width(s.concentration):.1f}",
        "width.v1_concentration": lambda: f"{s.weights_only_width(50.0):.1f}",
        "outside_band": lambda: str(
            int(
                (
                    s.index["ranked"]
                    & ~(
                        s.index["rank"].between(s.index["rank_p05"], s.index["rank_p95"])
                        & s.index["rank_peer_group"].between(
                            s.index["rank_peer_group_p05"], s.index["rank_peer_group_p95"]
                        )
                    )
                ).sum()
            )
        ),
        "tiers.city": lambda: str(tiers["city"]),
        "tiers.province": lambda: str(tiers["province"]),
        "samyan.tier1": lambda: str(
            int(((ranked_march["peer_group"] == "city") & (ranked_march["tier"] == 1)).sum())
        ),
        "samyan.score": lambda: f"{samyan['index_score']:.2f}",
        "samyan.score_before": lambda: f"{samyan_before['index_score']:.2f}",
        "samyan.rank_peer_group": lambda: str(samyan["rank_peer_group"]),
        "samyan.band_low": lambda: str(samyan["rank_peer_group_p05"]),
        "samyan.band_high": lambda: str(samyan["rank_peer_group_p95"]),
        "samyan.prob_first": lambda: pct(samyan["prob_first_in_peer_group"]),
        "samyan.rank": lambda: str(samyan["rank"]),
        "samyan.rank_low": lambda: str(samyan["rank_p05"]),
        "samyan.rank_high": lambda: str(samyan["rank_p95"]),
        "khlong.prob_first": lambda: pct(s.city("KHLONG_PHADUNG")["prob_first_in_peer_group"]),
        "phuket.prob_first": lambda: pct(s.city("PHUKET")["prob_first_in_peer_group"]),
        "samyan.change.progress": lambda: f"{changes['progress']:+.2f}",
        "samyan.change.total": lambda: f"{samyan['index_score'] - samyan_before['index_score']:+.2f}",
        "samyan.spend": lambda: f"{samyan_money[0]:,.2f}",
        "samyan.budget": lambda: f"{samyan_money[1]:,.2f}",
    }
    for pillar in PILLARS:
        result[f"w.{pillar}"] = lambda p=pillar: f"{DEFAULT_WEIGHTS[p]:.2f}"
        result[f"t.{pillar}"] = lambda p=pillar: f"{INTENDED_IMPORTANCE[p]:.2f}"
        result[f"cal.{pillar}"] = lambda p=pillar: f"{s.calibrated[p]:.2f}"
        result[f"naive.{pillar}"] = lambda p=pillar: pct(s.effective(dict(INTENDED_IMPORTANCE))[p])
        result[f"eff.{pillar}"] = lambda p=pillar: pct(effective[p][0])
        result[f"eff.{pillar}.min"] = lambda p=pillar: pct(effective[p][1])
        result[f"eff.{pillar}.max"] = lambda p=pillar: pct(effective[p][2])
        result[f"interval.{pillar}.low"] = lambda p=pillar: f"{interval[p][0]:.2f}"
        result[f"interval.{pillar}.high"] = lambda p=pillar: f"{interval[p][1]:.2f}"
        result[f"samyan.{pillar}"] = lambda p=pillar: f"{samyan[p]:.2f}"
        result[f"samyan.{pillar}.contribution"] = lambda p=pillar: f"{DEFAULT_WEIGHTS[p] * samyan[p]:.2f}"
    for source in SOURCES:
        result[f"sobol.{source}.first"] = lambda x=source: f"{sobol[x][0]:.2f}"
        result[f"sobol.{source}.total"] = lambda x=source: f"{sobol[x][1]:.2f}"
        result[f"sobol.{source}.se"] = lambda x=source: f"{max(sobol[x][2], sobol[x][3]):.2f}"
    for code in ("PHUKET", "CHACHOENGSAO", "KORAT", "KHON_KAEN", "KHLONG_PHADUNG", "MAE_MOH"):
        key = code.lower()
        result[f"{key}.score"] = lambda c=code: f"{s.city(c)['index_score']:.2f}"
        result[f"{key}.rank_peer_group"] = lambda c=code: str(s.city(c)["rank_peer_group"])
        result[f"{key}.band_low"] = lambda c=code: str(s.city(c)["rank_peer_group_p05"])
        result[f"{key}.band_high"] = lambda c=code: str(s.city(c)["rank_peer_group_p95"])
    return result


@pytest.fixture(scope="module")
def sample(sample_run):
    s = Sample(sample_run.warehouse)
    yield s
    s.con.close()


def test_every_figure_of_the_method_document_is_the_warehouse_s(sample):
    text = DOC.read_text(encoding="utf-8")
    quoted = MARKER.findall(text)
    assert quoted, "no marked figure in the document"
    computed = figures(sample)
    unknown = sorted({name for name, _ in quoted if not name.startswith("ext.")} - set(computed))
    assert not unknown, f"figures the test does not know how to recompute: {unknown}"
    domain = DOMAIN_EXCERPT.read_text(encoding="utf-8")
    if DOMAIN.is_file():
        assert domain in DOMAIN.read_text(encoding="utf-8"), "tests/e2e/domain_excerpt.md is out of date"
    wrong = []
    for name, shown in quoted:
        if name.startswith("ext."):
            assert shown in domain, f"{name}: {shown} is not in the programme's domain facts"
            continue
        expected = computed[name]()
        if shown != expected:
            wrong.append(f"{name}: the document says {shown}, the warehouse gives {expected}")
    assert not wrong, "\n".join(wrong)


def test_no_decimal_number_in_the_document_goes_unchecked(sample):
    text = DOC.read_text(encoding="utf-8")
    unmarked = MARKER.sub(" ", text)
    unmarked = re.sub(r"`[^`]*`", " ", unmarked)  # code: names, settings, file paths
    unmarked = re.sub(r"\]\([^)]*\)", "]", unmarked)  # link targets
    loose = re.findall(r"(?<![\w.])\d[\d,]*\.\d+", unmarked)
    assert not loose, f"decimal numbers without a <!--n:name--> marker: {loose}"


def test_the_worked_example_adds_up_by_hand(sample):
    """The document's own table: each contribution is weight x pillar, and they sum to the score."""
    text = DOC.read_text(encoding="utf-8")
    shown = {name: value for name, value in MARKER.findall(text)}
    total = 0.0
    for pillar in PILLARS:
        weight, value = float(shown[f"w.{pillar}"]), float(shown[f"samyan.{pillar}"])
        contribution = float(shown[f"samyan.{pillar}.contribution"])
        assert contribution == pytest.approx(weight * value, abs=0.006), pillar
        total += weight * value
    assert float(shown["samyan.score"]) == pytest.approx(total, abs=0.01)
    assert sample.city("SAMYAN")["index_score"] == pytest.approx(total, abs=0.01)
