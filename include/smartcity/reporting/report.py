"""The monthly report for analysts, in Thai and English: one self-contained HTML file per month.

It reads the *published* warehouse read-only, as any BI tool does, and writes
`<state>/reports/monthly/<YYYY-MM>/report.html`: headline figures, the programme's progress against plan over
time, the Competitiveness Index ranking within each peer group (city-based and province-based, as the official
index publishes it) with each city's rank band, tier and chance of leading, the cities not ranked and why,
the leaders per smart-city dimension, investment by smart-city dimension, the obstacles ranking and the
reporting quality of every city. Every heading and label is in Thai and English.

The file needs nothing else to be read offline: the charts are inline SVG drawn by matplotlib (text as paths),
and the page embeds the Thai font it uses (Sarabun, OFL, subset to the page's characters; see fonts.py), so
Thai renders on a machine without any Thai font and no script, stylesheet or font is fetched from anywhere.
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from smartcity.config import Settings
from smartcity.errors import PipelineError
from smartcity.index.pillars import PILLARS as INDEX_PILLARS
from smartcity.normalize import THAI_MONTH_ABBREVIATIONS, THAI_MONTH_NAMES
from smartcity.reporting.fonts import chart_font, embedded_font_css

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
FONT_FACES = "/* embedded font faces */"  # the template's placeholder for the @font-face rules
TEMPLATE = "monthly_report.html.j2"
CHARTS = ("progress", "ranking", "dimensions", "obstacles", "quality")

MONTHS_EN = "January February March April May June July August September October November December".split()
# Thai month names come from the one place that parses them.
MONTHS_TH = THAI_MONTH_NAMES
MONTHS_TH_SHORT = THAI_MONTH_ABBREVIATIONS
PEER_GROUPS = {"city": ("เมือง", "city-based"), "province": ("จังหวัด", "province-based")}
# The index's pillars (smartcity.index.pillars.PILLARS), labelled for the ranking table.
INDEX_PILLAR_LABELS = {
    "progress": ("ความคืบหน้า", "Progress"),
    "schedule": ("ตามกำหนด", "Schedule"),
    "plan_quality": ("คุณภาพแผน", "Plan quality"),
    "reporting": ("การรายงาน", "Reporting"),
    "coverage": ("ความครอบคลุม", "Coverage"),
}
NOT_RANKED_REASONS = {
    "no_active_budget": (
        "ไม่มีโครงการที่ดำเนินอยู่ (ยกเลิกทั้งหมดหรือไม่มีงบประมาณ)",
        "no active budget (every project cancelled, or none)",
    ),
    "never_reported": ("ยังไม่เคยส่งรายงานที่ผ่านการตรวจ", "never reported an accepted row"),
    "silent": ("ไม่ส่งรายงานติดต่อกันตั้งแต่ 3 เดือนขึ้นไป", "no accepted report for 3 months or more"),
}

# Colours: progress (teal), plan (grey), spend (dark teal), problems (orange/red).
ACTUAL = "#1f6f8b"
PLAN = "#8c96a3"
SPEND = "#0b3d4f"
BAND = "#9ccbd9"
PROVINCE = "#b5651d"
ACCEPTED = "#4a9c6d"
SUPERSEDED = "#a8cfb6"
QUARANTINED = "#d1495b"


class ReportError(PipelineError):
    """The report cannot be built (no warehouse yet, a month it does not cover)."""


# ----------------------------------------------------------------------------------------------------
# Data: what the report shows, read from the published warehouse.
# ----------------------------------------------------------------------------------------------------


@dataclass
class ReportData:
    month: date
    publication: dict[str, Any]
    summary: list[dict[str, Any]]  # program_summary_monthly, every month up to `month`
    headline: dict[str, Any]
    ranking: list[dict[str, Any]]  # ranked cities of city_index_monthly, by peer group and rank within it
    dimensions: list[dict[str, Any]]
    obstacles: list[dict[str, Any]]
    quality: list[dict[str, Any]]  # dq.city_quality_monthly of `month`, with names and reasons
    top_progress: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)  # dq.missing_submissions of `month`
    rejected_files: list[dict[str, Any]] = field(default_factory=list)  # files of `month` not taken
    not_ranked: list[dict[str, Any]] = field(default_factory=list)  # cities of the month not ranked, and why
    dimension_leaders: list[dict[str, Any]] = field(default_factory=list)  # the leader of each dimension


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def read_report_data(warehouse: Path, month: date | None = None) -> ReportData:
    """Everything the report shows for `month` (default: the month the warehouse was last published for)."""
    if not warehouse.exists():
        raise ReportError(f"no published warehouse at {warehouse} yet: run `make run` first")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        publication = _rows(con, "select run_id, published_at, report_month from meta.publication")[0]
        months = [
            r[0]
            for r in con.execute("select month from marts.program_summary_monthly order by month").fetchall()
        ]
        month = month or publication["report_month"]
        if month not in months:
            covered = f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}" if months else "no month"
            raise ReportError(
                f"the warehouse {warehouse} has no figures for {month:%Y-%m} (it covers {covered})"
            )
        summary = _rows(
            con, "select * from marts.program_summary_monthly where month <= ? order by month", [month]
        )
        ranking, not_ranked, dimension_leaders = _index_data(con, month)
        dimensions = _rows(
            con,
            """
            select b.*, d.sort_order
            from marts.investment_by_dimension_monthly b
            left join marts.dim_dimensions d using (dimension_code)
            where b.month = ? order by b.investment_value_thb desc, d.sort_order
            """,
            [month],
        )
        obstacles = _rows(
            con,
            "select * from marts.obstacle_ranking_monthly where month = ? order by rank, obstacle_code",
            [month],
        )
        quality = _rows(
            con,
            """
            with reasons as (
                select city_code,
                    list(reason_code || ' × ' || rows order by rows desc, reason_code) as reasons
                from (
                    select city_code, reason_code, count(*) as rows from dq.quarantine
                    where received_month = ? group by all
                )
                group by city_code
            )
            select q.*, coalesce(c.name_en, q.city_code) as name_en,
                coalesce(c.name_th, q.city_code) as name_th,
                (q.rows_accepted + q.rows_superseded) / nullif(q.rows_received, 0) * 100 as valid_pct,
                -- on_time alone cannot tell a late report from none: an accepted row for the month says late.
                case when q.on_time then 'on_time' when q.first_submitted_at is not null then 'late'
                    else 'no_report' end as reporting_status,
                coalesce(r.reasons, []) as quarantine_reasons
            from dq.city_quality_monthly q left join marts.dim_cities c using (city_code)
            left join reasons r using (city_code)
            where q.month = ? and (q.is_certified or q.rows_received > 0)
            order by q.on_time, q.first_submitted_at is not null, valid_pct nulls first, q.city_code
            """,
            [month, month],
        )
        top_progress = _rows(
            con,
            """
            select p.rank_progress, p.city_code, coalesce(c.name_en, p.city_code) as name_en,
                coalesce(c.name_th, p.city_code) as name_th, p.progress_pct, p.progress_vs_plan_pct
            from marts.city_progress_monthly p left join marts.dim_cities c using (city_code)
            where p.month = ? order by p.rank_progress, p.city_code limit 5
            """,
            [month],
        )
        missing = _rows(
            con,
            """
            select m.*, coalesce(c.name_en, m.city_code) as name_en,
                coalesce(c.name_th, m.city_code) as name_th
            from dq.missing_submissions m left join marts.dim_cities c using (city_code)
            where m.month = ? order by m.files_received, m.rows_accepted, m.city_code
            """,
            [month],
        )
        rejected_files = _rows(
            con,
            "select source_file, reason from dq.rejected_files where received_month = ? order by source_file",
            [month],
        )
        # The headline `smartcity run` prints too: one model for both (marts.program_headline_monthly).
        (headline,) = _rows(con, "select * from marts.program_headline_monthly where month = ?", [month])
        headline = {key: _float(v) if isinstance(v, Decimal) else v for key, v in headline.items()}
    finally:
        con.close()

    return ReportData(
        month=month,
        publication=publication,
        summary=summary,
        headline=headline,
        ranking=ranking,
        dimensions=dimensions,
        obstacles=obstacles,
        quality=quality,
        top_progress=top_progress,
        missing=missing,
        rejected_files=rejected_files,
        not_ranked=not_ranked,
        dimension_leaders=dimension_leaders,
    )


def _index_data(con: duckdb.DuckDBPyConnection, month: date) -> tuple[list, list, list]:
    """The index's month: the ranked cities (peer group by peer group, by rank within it), the cities not
    ranked, and each dimension's leader(s)."""
    cities = _rows(
        con,
        """
        select i.*, coalesce(c.name_en, i.city_code) as name_en, coalesce(c.name_th, i.city_code) as name_th
        from marts.city_index_monthly i left join marts.dim_cities c using (city_code)
        where i.month = ? order by i.peer_group, i.rank_peer_group nulls last, i.city_code
        """,
        [month],
    )
    leaders = _rows(
        con,
        """
        select l.*, coalesce(c.name_en, l.city_code) as name_en, coalesce(c.name_th, l.city_code) as name_th
        from marts.index_dimension_leaders l
        left join marts.dim_cities c using (city_code)
        left join marts.dim_dimensions d using (dimension_code)
        where l.month = ? and l.rank_in_dimension = 1 order by d.sort_order, l.dimension_code, l.city_code
        """,
        [month],
    )
    return [c for c in cities if c["ranked"]], [c for c in cities if not c["ranked"]], leaders


# ----------------------------------------------------------------------------------------------------
# Charts: matplotlib figures (no pyplot: no global state), as inline SVG or PNG.
# ----------------------------------------------------------------------------------------------------


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


# How each city reported the month, in the quality chart.
TIMING = {
    "on_time": ("on time", "ทันกำหนด"),
    "late": ("late", "ล่าช้า"),
    "no_report": ("no report", "ไม่รายงาน"),
}


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
    actual = [_float(row["progress_pct"]) for row in data.summary]
    planned = [_float(row["planned_progress_pct"]) for row in data.summary]
    versus = [_float(row["progress_vs_plan_pct"]) for row in data.summary]
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
    groups = [(group, [r for r in data.ranking if r["peer_group"] == group]) for group in PEER_GROUPS]
    groups = [(group, rows) for group, rows in groups if rows] or [("city", [])]
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
        ax.set_title(_label(f"{english} ranking", f"อันดับกลุ่ม{thai}"), loc="left", fontsize=10)
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
        progress = _float(row["progress_pct"])
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

    rows = data.quality
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
    ax.legend(loc="lower right", frameon=True, framealpha=0.9, fontsize=8)
    _style(ax)
    return figure


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


# ----------------------------------------------------------------------------------------------------
# The page.
# ----------------------------------------------------------------------------------------------------


def _number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, Decimal):
        value = float(value)
    return f"{value:,.{digits}f}"


def _millions(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{float(value) / 1e6:,.{digits}f}"


def month_en(month: date) -> str:
    return f"{MONTHS_EN[month.month - 1]} {month.year}"


def month_th(month: date) -> str:
    return f"{MONTHS_TH[month.month - 1]} {month.year + 543}"


def month_th_short(month: date) -> str:
    return f"{MONTHS_TH_SHORT[month.month - 1]} {str(month.year + 543)[-2:]}"


def render_report(data: ReportData) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        number=_number,
        millions=_millions,
        month_en=month_en,
        month_th=month_th,
        month_th_short=month_th_short,
    )
    charts = {name: Markup(chart_svg(name, data)) for name in CHARTS}  # noqa: S704 (our own matplotlib SVG)
    page = environment.get_template(TEMPLATE).render(
        data=data,
        h=data.headline,
        charts=charts,
        peer_groups=PEER_GROUPS,
        index_pillars=[(pillar, *INDEX_PILLAR_LABELS[pillar]) for pillar in INDEX_PILLARS],
        not_ranked_reasons=NOT_RANKED_REASONS,
        thai_font_in_charts=thai_font() is not None,
        timing=TIMING,
        generated_at=datetime.now().astimezone(),
    )
    # The font subset to the characters of the page itself (charts are paths: they need none).
    return page.replace(FONT_FACES, embedded_font_css(re.sub(r"<svg.*?</svg>", "", page, flags=re.S)), 1)


def report_path(settings: Settings, month: date) -> Path:
    return settings.reports_dir / "monthly" / f"{month:%Y-%m}" / "report.html"


def build_report(settings: Settings, month: date | None = None) -> Path:
    """Write the report of `month` (default: the latest published month) and return its path."""
    data = read_report_data(settings.warehouse, month)
    html = render_report(data)
    path = report_path(settings, data.month)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(html, encoding="utf-8")
    os.replace(partial, path)  # a reader of the report never finds half a file
    log.info("monthly report for %s written to %s", f"{data.month:%Y-%m}", path)
    return path
