"""What the monthly report shows, read from the *published* warehouse read-only, as any BI tool reads it:
one `ReportData` per month (headline, progress over time, the index ranking, dimensions, obstacles and each
city's reporting quality)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from smartcity.errors import PipelineError


class ReportError(PipelineError):
    """The report cannot be built (no warehouse yet, a month it does not cover)."""


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


def as_float(value: Any) -> float | None:
    """A figure as a float (DuckDB returns DECIMAL columns as Decimal); a missing figure stays None."""
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
        headline = {key: as_float(v) if isinstance(v, Decimal) else v for key, v in headline.items()}
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
