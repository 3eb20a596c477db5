"""Charts with one line per city stay readable (and quick to draw) at national scale: at most CHART_CITIES
cities each (per peer group in the ranking), the late and quarantined ones chosen first in the quality
chart, and every city when there are few. The tables of the report list every city
(tests/component/test_report.py)."""

from __future__ import annotations

import random
from types import SimpleNamespace

import matplotlib

from smartcity.reporting.charts import CHART_CITIES, cities_to_watch, quality_chart, ranking_chart

matplotlib.use("Agg")


def ranking_rows(cities: int, groups=("city", "province")) -> list[dict]:
    rows = []
    for group in groups:
        for rank in range(1, cities + 1):
            rows.append(
                {
                    "peer_group": group,
                    "name_en": f"{group} {rank}",
                    "name_th": None,
                    "rank_peer_group": rank,
                    "rank_peer_group_p05": max(1, rank - 2),
                    "rank_peer_group_p95": rank + 2,
                    "index_score": 100 - rank / cities,
                    "tier": rank // 5 + 1,
                }
            )
    return rows


def quality_rows(cities: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for number in range(cities):
        on_time = rng.random() > 0.05
        quarantined = rng.choice([0, 0, 0, 0, 3])
        rows.append(
            {
                "name_en": f"City {number}",
                "name_th": None,
                "rows_accepted": 10,
                "rows_superseded": 0,
                "rows_quarantined": quarantined,
                "rows_received": 10 + quarantined,
                "reporting_status": "on_time" if on_time else "late",
                "on_time": on_time,
            }
        )
    return rows


def test_the_ranking_draws_the_top_cities_of_each_group_and_says_how_many_there_are():
    figure = ranking_chart(SimpleNamespace(ranking=ranking_rows(2_000)))
    for axis in figure.axes:
        labels = [label.get_text() for label in axis.get_yticklabels()]
        assert len(labels) == CHART_CITIES
        assert labels[0].startswith(" 1. ") and labels[-1].startswith(f"{CHART_CITIES}. ")
        assert f"top {CHART_CITIES} of 2,000" in axis.get_title(loc="left")


def test_a_small_ranking_draws_every_city():
    figure = ranking_chart(SimpleNamespace(ranking=ranking_rows(12)))
    assert [len(axis.get_yticklabels()) for axis in figure.axes] == [12, 12]
    assert all("top" not in axis.get_title(loc="left") for axis in figure.axes)


def test_the_quality_chart_shows_the_cities_to_watch_first():
    rows = quality_rows(5_000)
    watched = [r for r in rows if not r["on_time"] or r["rows_quarantined"]]
    assert len(watched) > CHART_CITIES
    chosen = cities_to_watch(rows)
    assert chosen == watched[:CHART_CITIES]
    figure = quality_chart(SimpleNamespace(quality=rows))
    (axis,) = figure.axes
    assert len(axis.get_yticklabels()) == CHART_CITIES
    assert f"{CHART_CITIES} of 5,000 cities" in axis.get_title(loc="left")


def test_with_few_cities_to_watch_the_others_fill_the_chart_in_their_order():
    rows = quality_rows(100, seed=3)
    chosen = cities_to_watch(rows)
    assert len(chosen) == CHART_CITIES
    assert all(r in chosen for r in rows if not r["on_time"] or r["rows_quarantined"])
    assert chosen == [r for r in rows if r in chosen]  # the order of the table
    small = quality_rows(20)
    assert cities_to_watch(small) == small
