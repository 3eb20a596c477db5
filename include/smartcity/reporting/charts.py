"""The monthly report's charts: matplotlib figures (no pyplot: no global state), as inline SVG or PNG.

Text is drawn as paths, so an SVG needs no font on the reader's machine; Thai labels are drawn with the
vendored Sarabun (fonts.py), or left out (English only) when that font cannot be prepared.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from smartcity.reporting.fonts import chart_font
from smartcity.reporting.labels import MONTHS_EN, PEER_GROUPS, TIMING, month_en
from smartcity.reporting.report_data import ReportData, as_float, read_report_data

log = logging.getLogger(__name__)

# The charts of the page, in the page's order.
CHARTS = ("progress", "ranking", "dimensions", "obstacles", "quality")
# Cities drawn in a chart of one line per city (per peer group in the ranking): at national scale (thousands
# of cities) a line each would make a chart metres tall that takes minutes to lay out. The tables under the
# charts list every city.
CHART_CITIES = 30

# Colours: progress (teal), plan (grey), spend (dark teal), problems (orange/red).
ACTUAL = "#1f6f8b"
PLAN = "#8c96a3"
SPEND = "#0b3d4f"
BAND = "#9ccbd9"
PROVINCE = "#b5651d"
ACCEPTED = "#4a9c6d"
SUPERSEDED = "#a8cfb6"
QUARANTINED = "#d1495b"


@lru_cache(maxsize=1)
def thai_font() -> Path | None:
    """The vendored Thai font for chart labels (fonts.py); None only when it cannot be prepared."""
    try:
        return chart_font()
    except OSError as error:  # e.g. no writable temporary folder: English labels, Thai stays in the HTML
        log.warning("the report's Thai font could not be prepared (%s): chart labels in English only", error)
        return None


def _font_family() -> list[str]:
    """DejaVu Sans for Latin text and digits, then Sarabun for the Thai glyphs DejaVu lacks."""
    path = thai_font()
    if path is None:
        return ["DejaVu Sans"]
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    font_manager.fontManager.addfont(str(chart_font(700)))  # the bold face, for bold annotations
    return ["DejaVu Sans", font_manager.FontProperties(fname=str(path)).get_name()]


def _label(english: str, thai: str | None) -> str:
    """A chart label: English, with the Thai on a second line when a Thai font can draw it."""
    return f"{english}\n{thai}" if thai and thai_font() is not None else english


def _city_label(row: dict[str, Any], separator: str = "\n") -> str:
    """A city's English name, and its Thai name when a Thai font can draw it."""
    english, thai = row["name_en"], row.get("name_th")
    return f"{thai}{separator}{english}" if thai and thai != english and thai_font() is not None else english


def _month_tick(month: date) -> str:
    return f"{MONTHS_EN[month.month - 1][:3]}\n{month.year}"


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _style(ax, grid: str = "x") -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid, color="#e3e7eb", linewidth=0.8)
    ax.set_axisbelow(True)


def progress_chart(data: ReportData):
    months = [row["month"] for row in data.summary]
    actual = [as_float(row["progress_pct"]) for row in data.summary]
    planned = [as_float(row["planned_progress_pct"]) for row in data.summary]
    versus = [as_float(row["progress_vs_plan_pct"]) for row in data.summary]
    x = list(range(len(months)))
    figure = _figure(10, 5.6)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
    top.plot(
        x, planned, color=PLAN, linestyle="--", marker="o", markersize=4, label=_label("Planned", "ตามแผน")
    )
    top.plot(
        x, actual, color=ACTUAL, linewidth=2.4, marker="o", markersize=5, label=_label("Actual", "ผลจริง")
    )
    for values, color, offset in ((actual, ACTUAL, -14), (planned, PLAN, 8)):
        if values[-1] is not None:
            top.annotate(
                f"{values[-1]:.2f} %",
                (x[-1], values[-1]),
                textcoords="offset points",
                xytext=(6, offset),
                color=color,
                fontsize=10,
                fontweight="bold",
            )
    top.set_ylabel(_label("Progress (%)", "ความคืบหน้า (%)"))
    top.set_ylim(0, max(100, *(v for v in planned + actual if v is not None)) * 1.02)
    top.legend(loc="upper left", frameon=False)
    bottom.bar(x, [v or 0 for v in versus], color=ACTUAL, alpha=0.75, width=0.6)
    bottom.axhline(100, color=PLAN, linestyle="--", linewidth=1)
    for position, value in zip(x, versus, strict=True):
        if value is not None:
            bottom.annotate(f"{value:.0f}", (position, value), ha="center", va="bottom", fontsize=8)
    bottom.set_ylabel(_label("Actual vs plan (%)", "เทียบกับแผน (%)"))
    bottom.set_ylim(0, max(110, *(v * 1.15 for v in versus if v is not None)))
    bottom.set_xticks(x, [_month_tick(m) for m in months], fontsize=8)
    for ax in (top, bottom):
        _style(ax, grid="y")
    return figure


def ranking_chart(data: ReportData):
    """The index ranking within each peer group: a dot at each city's rank in its group, a bar from its
    5th to its 95th percentile rank over the Monte Carlo draws, tiers marked by alternating shades."""
    ranked = [(group, [r for r in data.ranking if r["peer_group"] == group]) for group in PEER_GROUPS]
    ranked = [(group, rows) for group, rows in ranked if rows] or [("city", [])]
    groups = [(group, rows[:CHART_CITIES]) for group, rows in ranked]  # rows come in rank order
    heights = [max(len(rows), 1) + 1.2 for _, rows in groups]
    figure = _figure(10, 1.2 + 0.3 * sum(heights))
    axes = figure.subplots(len(groups), 1, height_ratios=heights, squeeze=False)[:, 0]
    for ax, (group, rows) in zip(axes, groups, strict=True):
        province = group == "province"
        colour, band = (PROVINCE, "#e8c39e") if province else (ACTUAL, BAND)
        y = list(range(len(rows)))
        for position, row in zip(y, rows, strict=True):
            if row["tier"] % 2 == 0:  # every other tier shaded: within a tier the order is not meaningful
                ax.axhspan(position - 0.5, position + 0.5, color="#f1f3f5", zorder=0)
            ax.plot(
                [row["rank_peer_group_p05"], row["rank_peer_group_p95"]],
                [position, position],
                color=band,
                linewidth=7,
                solid_capstyle="round",
                zorder=2,
            )
            ax.plot(row["rank_peer_group"], position, "o", color=colour, markersize=7, zorder=3)
            ax.annotate(
                f"{row['index_score']:.1f}  (tier {row['tier']})",
                (row["rank_peer_group_p95"], position),
                textcoords="offset points",
                xytext=(9, -3),
                fontsize=8,
                color="#44515e",
            )
        ax.set_yticks(
            y, [f"{row['rank_peer_group']:>2}. " + _city_label(row, " · ") for row in rows], fontsize=9
        )
        ax.set_ylim(len(rows) - 0.5, -0.7)
        last = max([row["rank_peer_group_p95"] for row in rows] + [1])
        ax.set_xlim(0.3, last + 2.8)
        ax.set_xticks(range(1, last + 1, 1 if last <= 15 else 2))
        ax.xaxis.set_ticks_position("top")
        thai, english = PEER_GROUPS[group]
        title = _label(f"{english} ranking", f"อันดับกลุ่ม{thai}")
        total = len(dict(ranked)[group])
        if total > len(rows):
            title += "  " + _label(
                f"(top {len(rows)} of {total:,}: every city in the table)",
                f"({len(rows)} อันดับแรกจาก {total:,}: ทุกเมืองอยู่ในตาราง)",
            )
        ax.set_title(title, loc="left", fontsize=10)
        ax.spines[["right", "bottom"]].set_visible(False)
        ax.grid(axis="x", color="#e3e7eb", linewidth=0.8)
        ax.set_axisbelow(True)
    axes[-1].set_xlabel(
        _label(
            "Rank in the peer group (dot) and 5th-95th percentile band over the draws", "อันดับในกลุ่ม และช่วงอันดับ"
        )
    )
    return figure


def dimensions_chart(data: ReportData):
    rows = data.dimensions
    figure = _figure(10, 0.9 + 0.55 * max(len(rows), 1))
    ax = figure.subplots()
    y = list(range(len(rows)))
    investment = [float(r["investment_value_thb"]) / 1e6 for r in rows]
    spend = [float(r["spend_to_date_thb"]) / 1e6 for r in rows]
    ax.barh(y, investment, color=BAND, height=0.7, label=_label("Investment value", "มูลค่าการลงทุน"))
    ax.barh(y, spend, color=SPEND, height=0.35, label=_label("Spend to date", "เบิกจ่ายสะสม"))
    for position, row, value in zip(y, rows, investment, strict=True):
        progress = as_float(row["progress_pct"])
        note = f"{value:,.1f}  ({row['projects']} projects" + (
            f", {progress:.1f} % done)" if progress is not None else ")"
        )
        ax.annotate(note, (value, position), textcoords="offset points", xytext=(5, -3), fontsize=8)
    ax.set_yticks(y, [_label(r["dimension_name_en"], r["dimension_name_th"]) for r in rows], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max(investment + [1]) * 1.35)
    ax.set_xlabel(_label("Million baht", "ล้านบาท"))
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    _style(ax)
    return figure


def obstacles_chart(data: ReportData):
    rows = data.obstacles
    figure = _figure(10, 0.9 + 0.45 * max(len(rows), 1))
    ax = figure.subplots()
    y = list(range(len(rows)))
    counts = [r["projects"] for r in rows]
    ax.barh(y, counts, color=PROVINCE, height=0.6)
    for position, count in zip(y, counts, strict=True):
        ax.annotate(str(count), (count, position), textcoords="offset points", xytext=(4, -3), fontsize=9)
    labels = [
        f"{r['rank']}. " + _label(r["obstacle_name_en"] or r["obstacle_code"], r["obstacle_name_th"])
        for r in rows
    ]
    ax.set_yticks(y, labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max(counts + [1]) * 1.12)
    ax.set_xlabel(_label("Projects that list the obstacle", "จำนวนโครงการที่ระบุอุปสรรค"))
    _style(ax)
    return figure


def quality_chart(data: ReportData):
    from matplotlib.ticker import MaxNLocator

    rows = cities_to_watch(data.quality)
    figure = _figure(10, 1.2 + 0.28 * max(len(rows), 1))
    ax = figure.subplots()
    y = list(range(len(rows)))
    accepted = [r["rows_accepted"] for r in rows]
    superseded = [r["rows_superseded"] for r in rows]
    quarantined = [r["rows_quarantined"] for r in rows]
    ax.barh(y, accepted, color=ACCEPTED, height=0.7, label=_label("accepted", "ผ่าน"))
    ax.barh(y, superseded, left=accepted, color=SUPERSEDED, height=0.7, label=_label("superseded", "ถูกแทนที่"))
    left = [a + s for a, s in zip(accepted, superseded, strict=True)]
    ax.barh(y, quarantined, left=left, color=QUARANTINED, height=0.7, label=_label("quarantined", "ถูกกักกัน"))
    for position, row in zip(y, rows, strict=True):
        english, thai = TIMING[row["reporting_status"]]
        timing = f"{english} · {thai}" if thai_font() is not None else english
        ax.annotate(
            timing,
            (row["rows_received"], position),
            textcoords="offset points",
            xytext=(5, -3),
            fontsize=8,
            color="#44515e" if row["on_time"] else QUARANTINED,
            fontweight="normal" if row["on_time"] else "bold",
        )
    ax.set_yticks(y, [_city_label(r, " · ") for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max([r["rows_received"] for r in rows] + [1]) * 1.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_label("Rows received this month", "จำนวนแถวที่ได้รับในเดือนนี้"))
    if len(rows) < len(data.quality):
        ax.set_title(
            _label(
                f"{len(rows)} of {len(data.quality):,} cities: those late or with quarantined rows, "
                "then others (every city in the table)",
                f"{len(rows)} จาก {len(data.quality):,} เมือง (ทุกเมืองอยู่ในตาราง)",
            ),
            loc="left",
            fontsize=10,
        )
    ax.legend(loc="lower right", frameon=True, framealpha=0.9, fontsize=8)
    _style(ax)
    return figure


def cities_to_watch(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most CHART_CITIES of the cities' quality rows, shown in the table's order: chosen are those late,
    silent or with quarantined rows, then, while there is room, the others."""
    if len(rows) <= CHART_CITIES:
        return rows
    watched = [i for i, r in enumerate(rows) if not r["on_time"] or r["rows_quarantined"]][:CHART_CITIES]
    chosen = set(watched)
    others = [i for i in range(len(rows)) if i not in chosen][: CHART_CITIES - len(watched)]
    return [rows[i] for i in sorted(chosen.union(others))]


CHART_BUILDERS: dict[str, Callable[[ReportData], Any]] = {
    "progress": progress_chart,
    "ranking": ranking_chart,
    "dimensions": dimensions_chart,
    "obstacles": obstacles_chart,
    "quality": quality_chart,
}


def _render(
    builder: Callable[[ReportData], Any], data: ReportData, fmt: str, salt: str, dpi: int = 100
) -> bytes:
    import matplotlib

    with matplotlib.rc_context(
        {
            # A list of families (not the generic "sans-serif", whose list only its first font serves): Thai
            # glyphs fall back to the Thai font.
            "font.family": _font_family(),
            "font.size": 10,
            "svg.fonttype": "path",  # glyphs as paths: the SVG needs no font on the reader's machine
            "svg.hashsalt": salt,  # stable and distinct element ids across the charts of one page
            "axes.titleweight": "bold",
        }
    ):
        figure = builder(data)
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {}
        figure.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def chart_svg(name: str, data: ReportData) -> str:
    """One chart as an inline `<svg>` element (no XML prologue)."""
    svg = _render(CHART_BUILDERS[name], data, "svg", salt=f"smartcity-{name}").decode("utf-8")
    svg = svg[svg.index("<svg") :]
    return svg.replace("<svg ", f'<svg class="chart-svg" data-chart="{name}" role="img" ', 1)


def write_index_ranking_png(warehouse: Path, path: Path, month: date | None = None) -> Path:
    """The ranking chart (each peer group's ranks and bands) as a PNG, e.g. for docs/img/index-ranking.png."""
    data = read_report_data(warehouse, month)

    def titled(data: ReportData):
        figure = ranking_chart(data)
        figure.suptitle(
            f"Smart City Competitiveness Index ranking, {month_en(data.month)}", fontweight="bold"
        )
        return figure

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_render(titled, data, "png", salt="smartcity-ranking", dpi=110))
    return path
