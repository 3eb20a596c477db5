"""Write the Superset import bundle (deploy/superset/bundle/): the warehouse's datasets, charts and dashboards
as YAML, in Superset 6.1's export format, imported by bootstrap.py on every start of the `superset` service.

The YAML files are the dashboards as code: review them in diffs, import them anywhere. This script is how
they are written, so the many ids and the saved query of each chart stay consistent; edit the specification
below and run `python deploy/superset/build_bundle.py` (a test fails when the YAML and this script disagree).
A chart changed in Superset's UI can be exported, and its form data brought back into this script.

Every title and label is in Thai and English. Datasets read the warehouse's `bi`, `marts` and `dq` tables.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
BUNDLE = HERE / "bundle"
NAMESPACE = uuid.UUID("5d2c0b52-8f43-4d57-9c6b-6a1f0c1b7e21")  # fixed: the same names give the same uuids
VERSION = "1.0.0"
DATABASE_NAME = "Smart City warehouse"


def uid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


def bilingual(thai: str, english: str) -> str:
    return f"{thai} · {english}"


# ---------------------------------------------------------------------------------------------------------
# Datasets: a table of the warehouse, the columns charts use (bilingual names) and named metrics.
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    schema: str
    table: str
    description: str
    columns: dict[str, tuple]  # name -> (type, Thai, English[, SQL expression of a calculated column])
    metrics: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)  # name -> (SQL, Thai, En, d3)
    time_column: str | None = "month"
    sql: str | None = (
        None  # a virtual dataset: this query (Superset forbids sub-queries in a chart's filters)
    )

    @property
    def uuid(self) -> str:
        return uid("dataset", f"{self.schema}.{self.table}")

    def yaml(self, database_uuid: str) -> dict[str, Any]:
        metrics = {"count": ("count(*)", "จำนวนแถว", "Rows", ",d"), **self.metrics}
        return {
            "table_name": self.table,
            "main_dttm_col": self.time_column,
            "description": self.description,
            "default_endpoint": None,
            "offset": 0,
            "cache_timeout": None,
            "catalog": None,
            "schema": self.schema,
            "sql": self.sql,
            "params": None,
            "template_params": None,
            "filter_select_enabled": True,
            "fetch_values_predicate": None,
            "extra": None,
            "normalize_columns": False,
            "always_filter_main_dttm": False,
            "uuid": self.uuid,
            "metrics": [
                {
                    "metric_name": name,
                    "verbose_name": bilingual(thai, english),
                    "metric_type": None,
                    "expression": expression,
                    "description": None,
                    "d3format": d3format,
                    "currency": None,
                    "extra": {},
                    "warning_text": None,
                }
                for name, (expression, thai, english, d3format) in metrics.items()
            ],
            "columns": [
                {
                    "column_name": name,
                    "verbose_name": bilingual(thai, english),
                    "is_dttm": column_type in ("DATE", "TIMESTAMP WITH TIME ZONE"),
                    "is_active": True,
                    "type": column_type,
                    "advanced_data_type": None,
                    "groupby": True,
                    "filterable": True,
                    "expression": spec[3] if len(spec) > 3 else None,
                    "description": None,
                    "python_date_format": None,
                    "extra": {},
                }
                for name, spec in self.columns.items()
                for column_type, thai, english in [spec[:3]]
            ],
            "version": VERSION,
            "database_uuid": database_uuid,
        }


MONTH = ("DATE", "เดือน", "Month")
CITY = {
    "city_code": ("VARCHAR", "รหัสเมือง", "City code"),
    "city_name_th": ("VARCHAR", "ชื่อเมือง (ไทย)", "City (Thai)"),
    "city_name_en": ("VARCHAR", "ชื่อเมือง (อังกฤษ)", "City (English)"),
}

PROGRAM = Dataset(
    "marts",
    "program_summary_monthly",
    "The whole programme by month: budget-weighted progress against plan, investment and spend.",
    {
        "month": MONTH,
        "certified_cities": ("INTEGER", "เมืองที่ได้รับการรับรอง", "Certified cities"),
        "projects": ("INTEGER", "โครงการ", "Projects"),
        "progress_pct": ("DOUBLE", "ความคืบหน้า (%)", "Progress (%)"),
        "planned_progress_pct": ("DOUBLE", "ความคืบหน้าตามแผน (%)", "Planned progress (%)"),
        "progress_vs_plan_pct": ("DOUBLE", "ผลงานเทียบกับแผน (%)", "Progress against plan (%)"),
        "investment_value_thb": ("DECIMAL(18,2)", "มูลค่าการลงทุน (บาท)", "Investment value (baht)"),
        "spend_to_date_thb": ("DECIMAL(18,2)", "เบิกจ่ายสะสม (บาท)", "Spend to date (baht)"),
    },
    {
        "progress": ("max(progress_pct)", "ความคืบหน้า (%)", "Progress (%)", ".2f"),
        "planned": ("max(planned_progress_pct)", "ตามแผน (%)", "Planned (%)", ".2f"),
        "against_plan": ("max(progress_vs_plan_pct)", "เทียบกับแผน (%)", "Against plan (%)", ".1f"),
        "investment_mthb": (
            "sum(investment_value_thb) / 1e6",
            "การลงทุน (ล้านบาท)",
            "Investment (million baht)",
            ",.2f",
        ),
        "spend_mthb": (
            "sum(spend_to_date_thb) / 1e6",
            "เบิกจ่ายสะสม (ล้านบาท)",
            "Spend to date (million baht)",
            ",.2f",
        ),
    },
)

CITY_PROGRESS = Dataset(
    "bi",
    "city_progress_monthly",
    "Each certified city by month, with names. The programme's progress is budget-weighted: use the metric "
    "'programme progress', never an average of progress_pct.",
    {
        **CITY,
        "month": MONTH,
        "peer_group": ("VARCHAR", "กลุ่ม", "Peer group"),
        "projects": ("INTEGER", "โครงการ", "Projects"),
        "budget_thb": ("DECIMAL(18,2)", "งบประมาณ (บาท)", "Budget (baht)"),
        "progress_pct": ("DOUBLE", "ความคืบหน้า (%)", "Progress (%)"),
        "progress_vs_plan_pct": ("DOUBLE", "ผลงานเทียบกับแผน (%)", "Progress against plan (%)"),
        "rank_progress": ("INTEGER", "อันดับความคืบหน้า", "Progress rank"),
        "program_progress_pct": ("DOUBLE", "ความคืบหน้าของแผนงาน (%)", "Programme progress (%)"),
    },
    {
        # Budget-weighted over whichever cities the chart keeps: the programme's figure for all of them.
        "programme_progress": (
            "sum(progress_pct * budget_thb)"
            " / nullif(sum(case when progress_pct is not null then budget_thb end), 0)",
            "ความคืบหน้าถ่วงน้ำหนักงบประมาณ (%)",
            "Budget-weighted progress (%)",
            ".2f",
        ),
        "city_progress": ("max(progress_pct)", "ความคืบหน้า (%)", "Progress (%)", ".2f"),
    },
)

INVESTMENT = Dataset(
    "marts",
    "investment_by_dimension_monthly",
    "Investment value and spend by smart-city dimension and month.",
    {
        "month": MONTH,
        "dimension_code": ("VARCHAR", "รหัสมิติ", "Dimension code"),
        "dimension_name_th": ("VARCHAR", "มิติ (ไทย)", "Dimension (Thai)"),
        "dimension_name_en": ("VARCHAR", "มิติ (อังกฤษ)", "Dimension (English)"),
        "dimension_label": ("VARCHAR", "มิติ", "Dimension", "dimension_name_th || ' · ' || dimension_name_en"),
        "projects": ("INTEGER", "โครงการ", "Projects"),
    },
    {
        "investment_mthb": (
            "sum(investment_value_thb) / 1e6",
            "การลงทุน (ล้านบาท)",
            "Investment (million baht)",
            ",.2f",
        ),
        "spend_mthb": (
            "sum(spend_to_date_thb) / 1e6",
            "เบิกจ่ายสะสม (ล้านบาท)",
            "Spend to date (million baht)",
            ",.2f",
        ),
    },
)

OBSTACLES = Dataset(
    "marts",
    "obstacle_ranking_monthly",
    "Projects of certified cities that report each obstacle, by month.",
    {
        "month": MONTH,
        "obstacle_code": ("VARCHAR", "รหัสอุปสรรค", "Obstacle code"),
        "obstacle_name_th": ("VARCHAR", "อุปสรรค (ไทย)", "Obstacle (Thai)"),
        "obstacle_name_en": ("VARCHAR", "อุปสรรค (อังกฤษ)", "Obstacle (English)"),
        "obstacle_label": ("VARCHAR", "อุปสรรค", "Obstacle", "obstacle_name_th || ' · ' || obstacle_name_en"),
        "rank": ("INTEGER", "อันดับ", "Rank"),
    },
    {"obstacle_projects": ("sum(projects)", "จำนวนโครงการ", "Projects", ",d")},
)

INDEX = Dataset(
    "bi",
    "city_index_monthly",
    "The Smart City Competitiveness Index by city and month: score, ranks with bands, pillars, changes.",
    {
        **CITY,
        "month": MONTH,
        "peer_group": ("VARCHAR", "กลุ่ม", "Peer group"),
        "index_score": ("DOUBLE", "คะแนนดัชนี", "Index score"),
        "ranked": ("BOOLEAN", "ได้รับการจัดอันดับ", "Ranked"),
        "not_ranked_reason": ("VARCHAR", "เหตุที่ไม่จัดอันดับ", "Why not ranked"),
        "rank_peer_group": ("INTEGER", "อันดับในกลุ่ม", "Rank in peer group"),
        "rank_peer_group_p05": ("INTEGER", "อันดับในกลุ่มดีสุดของช่วง (p05)", "Peer-group rank band best (p05)"),
        "rank_peer_group_p95": ("INTEGER", "อันดับในกลุ่มต่ำสุดของช่วง (p95)", "Peer-group rank band worst (p95)"),
        "prob_first_in_peer_group": ("DOUBLE", "โอกาสเป็นอันดับหนึ่งในกลุ่ม", "Chance of leading the peer group"),
        "tier": ("INTEGER", "ระดับ", "Tier"),
        "rank": ("INTEGER", "อันดับรวม", "Overall rank"),
        "rank_p05": ("INTEGER", "อันดับดีสุดของช่วง (p05)", "Rank band best (p05)"),
        "rank_p95": ("INTEGER", "อันดับต่ำสุดของช่วง (p95)", "Rank band worst (p95)"),
        "progress": ("DOUBLE", "ความคืบหน้า", "Progress"),
        "schedule": ("DOUBLE", "ตามกำหนด", "Schedule"),
        "plan_quality": ("DOUBLE", "คุณภาพแผน", "Plan quality"),
        "reporting": ("DOUBLE", "การรายงาน", "Reporting"),
        "coverage": ("DOUBLE", "ความครอบคลุม", "Coverage"),
        "months_since_report": ("INTEGER", "เดือนนับจากรายงานล่าสุด", "Months since last report"),
        "index_score_change": ("DOUBLE", "คะแนนเปลี่ยน", "Score change"),
        "rank_change": ("INTEGER", "อันดับเปลี่ยน", "Rank change"),
    },
    {"score": ("avg(index_score)", "คะแนนดัชนี", "Index score", ".1f")},
)

QUALITY = Dataset(
    "bi",
    "city_quality_monthly",
    "Reporting quality of each city by landing month: rows received, accepted, quarantined; on time, late or "
    "no report.",
    {
        **CITY,
        "month": MONTH,
        "rows_received": ("INTEGER", "แถวที่ได้รับ", "Rows received"),
        "rows_accepted": ("INTEGER", "แถวที่ผ่าน", "Rows accepted"),
        "rows_quarantined": ("INTEGER", "แถวที่ถูกกักกัน", "Rows quarantined"),
        "reporting_status": ("VARCHAR", "สถานะการรายงาน", "Reporting status"),
        "reporting_status_th": ("VARCHAR", "สถานะการรายงาน (ไทย)", "Reporting status (Thai)"),
        "reporting_status_en": ("VARCHAR", "สถานะการรายงาน (อังกฤษ)", "Reporting status (English)"),
        "is_certified": ("BOOLEAN", "ได้รับการรับรอง", "Certified"),
    },
    {
        "cities": ("count(distinct city_code)", "จำนวนเมือง", "Cities", ",d"),
        "quarantined_rows": ("sum(rows_quarantined)", "แถวที่ถูกกักกัน", "Rows quarantined", ",d"),
        "received_rows": ("sum(rows_received)", "แถวที่ได้รับ", "Rows received", ",d"),
    },
)

QUARANTINE = Dataset(
    "bi",
    "quarantine",
    "Every quarantined row with its reason, city and landing month.",
    {
        "month": MONTH,
        **CITY,
        "project_code": ("VARCHAR", "รหัสโครงการ", "Project code"),
        "reason_code": ("VARCHAR", "เหตุผล", "Reason"),
        "detail": ("VARCHAR", "รายละเอียด", "Detail"),
        "source_file": ("VARCHAR", "ไฟล์", "File"),
        "row_number": ("INTEGER", "แถวที่", "Row"),
    },
)

REJECTED = Dataset(
    "dq",
    "rejected_files",
    "Every file or folder under submissions/ that was not taken, with the reason.",
    {
        "received_month": ("DATE", "เดือนที่ได้รับ", "Landing month"),
        "source_file": ("VARCHAR", "ไฟล์", "File"),
        "reason": ("VARCHAR", "เหตุผล", "Reason"),
    },
    time_column="received_month",
)


def latest_month(dataset: Dataset, name: str, condition: str = "") -> Dataset:
    """The same table limited to its latest month (and `condition`), as a virtual dataset."""
    source = f"{dataset.schema}.{dataset.table}"
    where = f"month = (select max(month) from {source})" + (f" and {condition}" if condition else "")  # noqa: S608
    return Dataset(
        dataset.schema,
        name,
        dataset.description + " The latest month only.",
        dataset.columns,
        dataset.metrics,
        dataset.time_column,
        sql=f"select * from {source} where {where}",  # noqa: S608 (names fixed here, no input)
    )


INVESTMENT_LATEST = latest_month(INVESTMENT, "investment_by_dimension_latest")
OBSTACLES_LATEST = latest_month(OBSTACLES, "obstacle_ranking_latest")
CITY_PROGRESS_LATEST = latest_month(CITY_PROGRESS, "city_progress_latest")
INDEX_LATEST = latest_month(INDEX, "city_index_latest")
QUALITY_LATEST = latest_month(QUALITY, "city_quality_latest")
INDEX_TOP10 = Dataset(
    "bi",
    "city_index_top10",
    "The index over time for the ten cities ranked best in the latest month.",
    INDEX.columns,
    INDEX.metrics,
    sql=(
        "select * from bi.city_index_monthly where city_code in (select city_code from bi.city_index_monthly "
        "where month = (select max(month) from bi.city_index_monthly) and rank <= 10)"
    ),
)

DATASETS = [
    PROGRAM, CITY_PROGRESS, INVESTMENT, OBSTACLES, INDEX, QUALITY, QUARANTINE, REJECTED,
    INVESTMENT_LATEST, OBSTACLES_LATEST, CITY_PROGRESS_LATEST, INDEX_LATEST, QUALITY_LATEST, INDEX_TOP10,
]  # fmt: skip

# ---------------------------------------------------------------------------------------------------------
# Charts: form data as Superset's explore saves it, and the saved query the chart data API runs.
# ---------------------------------------------------------------------------------------------------------


def _where(filters: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "expressionType": "SQL",
            "sqlExpression": sql,
            "clause": "WHERE",
            "subject": None,
            "operator": None,
            "comparator": None,
            "isExtra": False,
            "isNew": False,
            "filterOptionName": f"filter_{n}",
        }
        for n, sql in enumerate(filters)
    ]


@dataclass
class Chart:
    key: str
    title_th: str
    title_en: str
    dataset: Dataset
    viz_type: str
    params: dict[str, Any]
    query: dict[str, Any]  # columns, metrics, orderby, row_limit
    where: list[str] = field(default_factory=list)
    description: str | None = None

    @property
    def title(self) -> str:
        return bilingual(self.title_th, self.title_en)

    @property
    def uuid(self) -> str:
        return uid("chart", self.key)

    def form_data(self) -> dict[str, Any]:
        return {
            "viz_type": self.viz_type,
            "datasource": "0__table",  # replaced by the dataset's id on import
            "adhoc_filters": _where(self.where),
            "time_range": "No filter",
            **self.params,
        }

    def yaml(self) -> dict[str, Any]:
        form_data = self.form_data()
        query = {
            "filters": [],
            "extras": {"having": "", "where": " and ".join(f"({w})" for w in self.where)},
            "applied_time_extras": {},
            "orderby": [],
            "annotation_layers": [],
            "row_limit": 10000,
            "series_limit": 0,
            "order_desc": True,
            "url_params": {},
            "custom_params": {},
            "custom_form_data": {},
            "post_processing": [],
            **self.query,
        }
        query_context = {
            "datasource": {"id": 0, "type": "table"},
            "force": False,
            "queries": [query],
            "form_data": form_data,
            "result_format": "json",
            "result_type": "full",
        }
        return {
            "slice_name": self.title,
            "description": self.description,
            "certified_by": None,
            "certification_details": None,
            "viz_type": self.viz_type,
            "params": form_data,
            "query_context": json.dumps(query_context, ensure_ascii=False, sort_keys=True),
            "cache_timeout": None,
            "uuid": self.uuid,
            "version": VERSION,
            "dataset_uuid": self.dataset.uuid,
        }


def month_axis() -> dict[str, Any]:
    return {
        "timeGrain": "P1M",
        "columnType": "BASE_AXIS",
        "sqlExpression": "month",
        "label": "month",
        "expressionType": "SQL",
    }


def timeseries(key, th, en, dataset, metrics, viz="echarts_timeseries_line", groupby=(), where=(), **extra):
    axis = month_axis() | ({"sqlExpression": dataset.time_column, "label": dataset.time_column})
    params = {
        "x_axis": dataset.time_column,
        "time_grain_sqla": "P1M",
        "x_axis_sort_asc": True,
        "metrics": list(metrics),
        "groupby": list(groupby),
        "row_limit": 10000,
        "order_desc": True,
        "show_legend": True,
        "legendType": "scroll",
        "legendOrientation": "top",
        "rich_tooltip": True,
        "x_axis_time_format": "%Y-%m",
        "y_axis_format": "SMART_NUMBER",
        "truncate_metric": True,
        "color_scheme": "supersetColors",
        "comparison_type": "values",
        "annotation_layers": [],
        "markerEnabled": True,
        "zoomable": False,
        **extra,
    }
    query = {
        "columns": [axis, *groupby],
        "metrics": list(metrics),
        "orderby": [[metrics[0], False]],
        "extras": {"having": "", "where": " and ".join(f"({w})" for w in where), "time_grain_sqla": "P1M"},
    }
    return Chart(key, th, en, dataset, viz, params, query, list(where))


def big_number(key, th, en, dataset, metric, d3format=".2f", suffix="%"):
    params = {
        "x_axis": "month",
        "time_grain_sqla": "P1M",
        "metric": metric,
        "show_trend_line": True,
        "start_y_axis_at_zero": True,
        "compare_lag": 1,
        "compare_suffix": bilingual("เทียบเดือนก่อน", "vs previous month"),
        "y_axis_format": d3format,
        "header_font_size": 0.3,
        "subheader_font_size": 0.125,
        "rolling_type": "None",
        "color_picker": {"r": 31, "g": 111, "b": 139, "a": 1},
        "subheader": suffix,
    }
    query = {"columns": [month_axis()], "metrics": [metric], "orderby": [[metric, False]]}
    return Chart(key, th, en, dataset, "big_number", params, query)


def bar(key, th, en, dataset, x, metrics, where=(), groupby=(), horizontal=True, **extra):
    params = {
        "x_axis": x,
        "metrics": list(metrics),
        "groupby": list(groupby),
        "orientation": "horizontal" if horizontal else "vertical",
        "x_axis_sort_asc": False,
        "x_axis_sort_series": "sum",
        "x_axis_sort_series_ascending": False,
        "row_limit": 1000,
        "order_desc": True,
        "show_legend": bool(groupby),
        "legendType": "scroll",
        "legendOrientation": "top",
        "rich_tooltip": True,
        "show_value": True,
        "y_axis_format": "SMART_NUMBER",
        "truncate_metric": True,
        "color_scheme": "supersetColors",
        "comparison_type": "values",
        "annotation_layers": [],
        "stack": "Stack" if groupby else None,
        **extra,
    }
    query = {
        "columns": [x, *groupby],
        "metrics": list(metrics),
        "orderby": [[metrics[0], False]],
        "row_limit": 1000,
    }
    return Chart(key, th, en, dataset, "echarts_timeseries_bar", params, query, list(where))


# How numbers read in tables: percentages and scores with 2 decimals, money with thousands separators.
NUMBER_FORMATS = {
    "DOUBLE": ",.2f",
    "DECIMAL(18,2)": ",.0f",
    "INTEGER": ",d",
}


def column_formats(dataset: Dataset, columns) -> dict[str, Any]:
    return {
        name: {"d3NumberFormat": NUMBER_FORMATS[dataset.columns[name][0]]}
        for name in columns
        if name in dataset.columns and dataset.columns[name][0] in NUMBER_FORMATS
    }


def table(key, th, en, dataset, columns, order_by, where=(), ascending=True, row_limit=1000):
    params = {
        "column_config": column_formats(dataset, columns),
        "query_mode": "raw",
        "all_columns": list(columns),
        "order_by_cols": [json.dumps([order_by, ascending])],
        "row_limit": row_limit,
        "server_page_length": 10,
        "table_timestamp_format": "%Y-%m-%d",
        "include_search": True,
        "show_cell_bars": True,
        "color_pn": True,
        # Values sent by cities (details, file names) are shown as text, never as HTML.
        "allow_render_html": False,
    }
    query = {
        "columns": list(columns),
        "metrics": [],
        "orderby": [[order_by, ascending]],
        "row_limit": row_limit,
    }
    return Chart(key, th, en, dataset, "table", params, query, list(where))


def aggregate_table(key, th, en, dataset, groupby, metrics, where=(), row_limit=1000):
    params = {
        "query_mode": "aggregate",
        "groupby": list(groupby),
        "metrics": list(metrics),
        "all_columns": [],
        "order_by_cols": [],
        "timeseries_limit_metric": metrics[0],
        "order_desc": True,
        "row_limit": row_limit,
        "server_page_length": 10,
        "table_timestamp_format": "%Y-%m",
        "include_search": True,
        "show_cell_bars": True,
        "allow_render_html": False,
    }
    query = {
        "columns": list(groupby),
        "metrics": list(metrics),
        "orderby": [[metrics[0], False]],
        "row_limit": row_limit,
    }
    return Chart(key, th, en, dataset, "table", params, query, list(where))


CHARTS = {
    # Programme overview
    "program_progress": big_number(
        "program_progress",
        "ความคืบหน้าโดยรวม (ถ่วงน้ำหนักงบประมาณ)",
        "Programme progress (budget-weighted)",
        PROGRAM,
        "progress",
    ),
    "progress_vs_plan": timeseries(
        "progress_vs_plan",
        "ความคืบหน้าเทียบกับแผนตามช่วงเวลา",
        "Progress against plan over time",
        PROGRAM,
        ["progress", "planned"],
        y_axis_format=".1f",
    ),
    "investment_spend": timeseries(
        "investment_spend",
        "มูลค่าการลงทุนและเบิกจ่ายสะสม (ล้านบาท)",
        "Investment and spend to date (million baht)",
        PROGRAM,
        ["investment_mthb", "spend_mthb"],
        viz="echarts_timeseries_bar",
        y_axis_format=",.0f",
    ),
    "investment_by_dimension": bar(
        "investment_by_dimension",
        "การลงทุนจำแนกตามมิติ (เดือนล่าสุด)",
        "Investment by dimension (latest month)",
        INVESTMENT_LATEST,
        "dimension_label",
        ["investment_mthb", "spend_mthb"],
    ),
    "obstacles": bar(
        "obstacles",
        "อุปสรรคที่พบมากที่สุด (เดือนล่าสุด)",
        "Main obstacles (latest month)",
        OBSTACLES_LATEST,
        "obstacle_label",
        ["obstacle_projects"],
    ),
    "city_progress": table(
        "city_progress",
        "ความคืบหน้ารายเมือง (เดือนล่าสุด)",
        "Progress by city (latest month)",
        CITY_PROGRESS_LATEST,
        [
            "rank_progress",
            "city_name_th",
            "city_name_en",
            "progress_pct",
            "progress_vs_plan_pct",
            "budget_thb",
        ],
        "rank_progress",
    ),
    # The Competitiveness Index
    "index_ranking": table(
        "index_ranking",
        "อันดับดัชนีในแต่ละกลุ่มและช่วงอันดับ (เดือนล่าสุด)",
        "Index ranking by peer group with rank bands (latest month)",
        INDEX_LATEST,
        [
            "rank",
            "peer_group",
            "rank_peer_group",
            "city_name_th",
            "city_name_en",
            "index_score",
            "tier",
            "rank_peer_group_p05",
            "rank_peer_group_p95",
            "prob_first_in_peer_group",
            "rank_change",
            "index_score_change",
        ],
        "rank",
        where=["ranked"],
    ),
    "index_not_ranked": table(
        "index_not_ranked",
        "การจัดอันดับของแต่ละเมืองและเหตุที่ไม่ได้จัดอันดับ (เดือนล่าสุด)",
        "Ranked or not, and why (latest month; cities not ranked first)",
        INDEX_LATEST,
        ["ranked", "city_name_th", "city_name_en", "peer_group", "not_ranked_reason", "months_since_report"],
        "ranked",
    ),
    "index_pillars": table(
        "index_pillars",
        "คะแนนรายเสาหลัก (เดือนล่าสุด)",
        "Pillar scores (latest month)",
        INDEX_LATEST,
        [
            "rank",
            "city_name_th",
            "city_name_en",
            "progress",
            "schedule",
            "plan_quality",
            "reporting",
            "coverage",
        ],
        "rank",
        where=["ranked"],
    ),
    "index_score_over_time": timeseries(
        "index_score_over_time",
        "คะแนนดัชนีตามช่วงเวลา (10 อันดับแรก)",
        "Index score over time (top 10)",
        INDEX_TOP10,
        ["score"],
        groupby=["city_name_en"],
        y_axis_format=".1f",
    ),
    "index_movers": table(
        "index_movers",
        "เมืองที่อันดับเปลี่ยนมากที่สุด (เดือนล่าสุด)",
        "Biggest rank changes (latest month)",
        INDEX_LATEST,
        [
            "city_name_th",
            "city_name_en",
            "peer_group",
            "rank_peer_group",
            "rank_change",
            "index_score_change",
        ],
        "rank_change",
        where=["rank_change is not null"],
        ascending=False,
    ),
    # Data quality
    "quarantine_by_reason": bar(
        "quarantine_by_reason",
        "แถวที่ถูกกักกันจำแนกตามเหตุผล",
        "Quarantined rows by reason",
        QUARANTINE,
        "reason_code",
        ["count"],
    ),
    "quarantine_by_month": timeseries(
        "quarantine_by_month",
        "แถวที่ถูกกักกันรายเดือน",
        "Quarantined rows by month",
        QUARANTINE,
        ["count"],
        viz="echarts_timeseries_bar",
        groupby=["reason_code"],
        stack="Stack",
    ),
    "quarantine_by_city": aggregate_table(
        "quarantine_by_city",
        "แถวที่ถูกกักกันรายเมือง",
        "Quarantined rows by city",
        QUALITY,
        ["city_name_th", "city_name_en"],
        ["quarantined_rows", "received_rows"],
    ),
    "reporting_status": timeseries(
        "reporting_status",
        "การรายงานตรงเวลา ล่าช้า หรือไม่รายงาน",
        "On time, late or no report",
        QUALITY,
        ["cities"],
        viz="echarts_timeseries_bar",
        groupby=["reporting_status_en"],
        stack="Stack",
        where=["is_certified"],
    ),
    "reporting_latest": table(
        "reporting_latest",
        "สถานะการรายงานของแต่ละเมือง (เดือนล่าสุด)",
        "Each city's reporting (latest month)",
        QUALITY_LATEST,
        [
            "city_name_th",
            "city_name_en",
            "reporting_status_th",
            "reporting_status_en",
            "rows_received",
            "rows_accepted",
            "rows_quarantined",
        ],
        "rows_quarantined",
        ascending=False,
    ),
    "quarantine_rows": table(
        "quarantine_rows",
        "แถวที่ถูกกักกัน",
        "Quarantined rows",
        QUARANTINE,
        [
            "month",
            "city_code",
            "city_name_en",
            "project_code",
            "reason_code",
            "detail",
            "source_file",
            "row_number",
        ],
        "month",
        ascending=False,
    ),
    "rejected_files": table(
        "rejected_files",
        "ไฟล์ที่ไม่ได้รับเข้าระบบ",
        "Files not taken",
        REJECTED,
        ["received_month", "source_file", "reason"],
        "received_month",
        ascending=False,
    ),
}


# ---------------------------------------------------------------------------------------------------------
# Dashboards: rows of charts (width out of 12) under a bilingual note.
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    slug: str
    title_th: str
    title_en: str
    note: str  # Markdown shown at the top, Thai then English
    rows: list[list[tuple[str, int]]]  # [(chart key, width)]

    @property
    def uuid(self) -> str:
        return uid("dashboard", self.slug)

    def yaml(self) -> dict[str, Any]:
        position: dict[str, Any] = {
            "DASHBOARD_VERSION_KEY": "v2",
            "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
            "HEADER_ID": {
                "id": "HEADER_ID",
                "meta": {"text": bilingual(self.title_th, self.title_en)},
                "type": "HEADER",
            },
            "GRID_ID": {"children": [], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"},
        }
        rows = [[("MARKDOWN", 12)], *self.rows]
        for number, row in enumerate(rows, start=1):
            row_id = f"ROW-{number}"
            position["GRID_ID"]["children"].append(row_id)
            position[row_id] = {
                "children": [],
                "id": row_id,
                "meta": {"background": "BACKGROUND_TRANSPARENT"},
                "parents": ["ROOT_ID", "GRID_ID"],
                "type": "ROW",
            }
            for key, width in row:
                if key == "MARKDOWN":
                    item_id = f"MARKDOWN-{self.slug}"
                    item = {
                        "children": [],
                        "id": item_id,
                        "meta": {"code": self.note, "height": 14, "width": width},
                        "parents": ["ROOT_ID", "GRID_ID", row_id],
                        "type": "MARKDOWN",
                    }
                else:
                    chart = CHARTS[key]
                    item_id = f"CHART-{key}"
                    item = {
                        "children": [],
                        "id": item_id,
                        "meta": {
                            "chartId": 0,
                            "height": 60,
                            "sliceName": chart.title,
                            "uuid": chart.uuid,
                            "width": width,
                        },
                        "parents": ["ROOT_ID", "GRID_ID", row_id],
                        "type": "CHART",
                    }
                position[row_id]["children"].append(item_id)
                position[item_id] = item
        return {
            "dashboard_title": bilingual(self.title_th, self.title_en),
            "description": None,
            "css": "",
            "slug": self.slug,
            "certified_by": "",
            "certification_details": "",
            "published": True,
            "uuid": self.uuid,
            "position": position,
            "metadata": {
                "color_scheme": "",
                "refresh_frequency": 0,
                "expanded_slices": {},
                "label_colors": {},
                "timed_refresh_immune_slices": [],
                "cross_filters_enabled": False,
                "native_filter_configuration": [],
                "shared_label_colors": [],
                "color_scheme_domain": [],
                "default_filters": "{}",
            },
            "version": VERSION,
        }

    def charts(self) -> list[Chart]:
        return [CHARTS[key] for row in self.rows for key, _ in row]


DASHBOARDS = [
    Dashboard(
        "smartcity-programme",
        "ภาพรวมแผนงานเมืองอัจฉริยะ",
        "Smart City programme overview",
        "**ความคืบหน้าถ่วงน้ำหนักด้วยงบประมาณ** ของโครงการในเมืองที่ได้รับการรับรอง เทียบกับแผน การลงทุน และอุปสรรค  \n"
        "**Budget-weighted progress** of the certified cities' projects against plan, the investment and the "
        "obstacles. The programme's progress is not the average of the cities' progress: it weighs each "
        "project by its budget (docs/data-contract.md).",
        [
            [("program_progress", 4), ("progress_vs_plan", 8)],
            [("investment_spend", 6), ("investment_by_dimension", 6)],
            [("obstacles", 5), ("city_progress", 7)],
        ],
    ),
    Dashboard(
        "smartcity-index",
        "ดัชนีความสามารถในการแข่งขันของเมืองอัจฉริยะ",
        "Smart City Competitiveness Index",
        "อันดับในแต่ละกลุ่ม (เมือง จังหวัด) ช่วงอันดับ (เปอร์เซ็นไทล์ที่ 5–95) ระดับ เมืองที่ไม่ได้จัดอันดับ "
        "คะแนนรายเสาหลัก และการเปลี่ยนแปลงจากเดือนก่อน  \n"
        "Ranks within each peer group (city-based, province-based) with their bands (5th–95th percentile "
        "over the Monte Carlo draws) and tiers, the cities not ranked and why, pillar scores and the change "
        "since the previous month. Method: docs/index-methodology.md.",
        [
            [("index_ranking", 12)],
            [("index_not_ranked", 5), ("index_pillars", 7)],
            [("index_score_over_time", 7), ("index_movers", 5)],
        ],
    ),
    Dashboard(
        "smartcity-data-quality",
        "คุณภาพข้อมูล",
        "Data quality",
        "แถวที่ถูกกักกันจำแนกตามเหตุผล เมือง และเดือน การรายงานตรงเวลา และไฟล์ที่ไม่ได้รับเข้าระบบ  \n"
        "Quarantined rows by reason, city and month; on-time reporting (late and no report told apart); "
        "files "
        "not taken. Each reason and what to fix: docs/data-contract.md and the Data Docs.",
        [
            [("quarantine_by_reason", 5), ("quarantine_by_month", 7)],
            [("reporting_status", 7), ("quarantine_by_city", 5)],
            [("reporting_latest", 12)],
            [("quarantine_rows", 8), ("rejected_files", 4)],
        ],
    ),
]


def database_yaml(connect_args: dict[str, Any], uri: str) -> dict[str, Any]:
    return {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": uri,
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {
            "engine_params": {"connect_args": connect_args},
            "metadata_params": {},
            "schemas_allowed_for_file_upload": [],
        },
        "impersonate_user": False,
        "uuid": uid("database", DATABASE_NAME),
        "version": VERSION,
    }


def bundle_files() -> dict[str, str]:
    """Every file of the bundle: relative path -> YAML text."""
    sys.path.insert(0, str(HERE))
    from bootstrap import BI_CONNECT_ARGS, DEFAULT_WAREHOUSE_URI

    database = database_yaml(BI_CONNECT_ARGS, DEFAULT_WAREHOUSE_URI)

    def dump(data: dict[str, Any]) -> str:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)

    files = {
        "metadata.yaml": dump(
            {"version": VERSION, "type": "assets", "timestamp": "2024-04-20T00:00:00+00:00"}
        ),
        "databases/Smart_City_warehouse.yaml": dump(database),
    }
    for dataset in DATASETS:
        files[f"datasets/Smart_City_warehouse/{dataset.schema}.{dataset.table}.yaml"] = dump(
            dataset.yaml(database["uuid"])
        )
    for key, chart in CHARTS.items():
        files[f"charts/{key}.yaml"] = dump(chart.yaml())
    for dashboard in DASHBOARDS:
        files[f"dashboards/{dashboard.slug}.yaml"] = dump(dashboard.yaml())
    return files


def main() -> None:
    files = bundle_files()
    for old in BUNDLE.rglob("*.yaml"):
        if str(old.relative_to(BUNDLE)) not in files:
            old.unlink()
    for name, text in files.items():
        path = BUNDLE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files to {BUNDLE}")


if __name__ == "__main__":
    main()
