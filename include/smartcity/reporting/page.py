"""The monthly report's page: HTML rendered with Jinja (every value escaped), the charts inline as SVG and
the Thai font (Sarabun, OFL, subset to the page's characters; see fonts.py) embedded, so the one file reads
offline and fetches no script, stylesheet or font from anywhere."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from smartcity.index.pillars import PILLARS as INDEX_PILLARS
from smartcity.reporting import charts
from smartcity.reporting.fonts import embedded_font_css
from smartcity.reporting.labels import (
    INDEX_PILLAR_LABELS,
    NOT_RANKED_REASONS,
    PEER_GROUPS,
    TIMING,
    month_en,
    month_th,
    month_th_short,
)
from smartcity.reporting.report_data import ReportData

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "monthly_report.html.j2"
FONT_FACES = "/* embedded font faces */"  # the template's placeholder for the @font-face rules


def _number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, Decimal):
        value = float(value)
    return f"{value:,.{digits}f}"


def _millions(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{float(value) / 1e6:,.{digits}f}"


def render_report(data: ReportData) -> str:
    """The report's page: the template filled with `data`, its charts inline, its Thai font embedded."""
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
    svgs = {name: Markup(charts.chart_svg(name, data)) for name in charts.CHARTS}  # noqa: S704 (our own SVG)
    page = environment.get_template(TEMPLATE).render(
        data=data,
        h=data.headline,
        charts=svgs,
        peer_groups=PEER_GROUPS,
        index_pillars=[(pillar, *INDEX_PILLAR_LABELS[pillar]) for pillar in INDEX_PILLARS],
        not_ranked_reasons=NOT_RANKED_REASONS,
        thai_font_in_charts=charts.thai_font() is not None,
        timing=TIMING,
        generated_at=datetime.now().astimezone(),
    )
    # The font subset to the characters of the page itself (charts are paths: they need none).
    return page.replace(FONT_FACES, embedded_font_css(re.sub(r"<svg.*?</svg>", "", page, flags=re.S)), 1)
