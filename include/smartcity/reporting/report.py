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

This module writes the file; the work is in three modules: `report_data` (the SQL reading the warehouse),
`charts` (the matplotlib figures) and `page` (the HTML), with their shared Thai and English words in `labels`.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

from smartcity.config import Settings
from smartcity.reporting.page import render_report
from smartcity.reporting.report_data import read_report_data

log = logging.getLogger(__name__)


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
