"""The closing summary of a run, read from the published warehouse (read-only, as a BI tool would)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from smartcity.state import one_row


@dataclass(frozen=True)
class Headline:
    month: str
    certified_cities: int
    progress_pct: float | None
    investment_value_thb: float
    spend_to_date_thb: float
    top_cities: list[tuple[int, str, str, float | None]]
    obstacles: list[tuple[str, int]]
    rows_accepted: int
    rows_quarantined: int
    files_rejected: int
    landing_entries_not_taken: int = 0


def read_headline(warehouse: Path, month: str | None = None, months: list[str] | None = None) -> Headline:
    """The programme's figures for `month` (default: the latest), and the rows received: by the last run
    when `months` (the months it processed) are given, else in all months."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        month_filter = (
            month
            or one_row(
                con.execute("select strftime(max(month), '%Y-%m') from marts.program_headline_monthly")
            )[0]
        )
        # The same headline the monthly report opens with (one model for both).
        program = one_row(
            con.execute(
                "select certified_cities, progress_pct, investment_value_thb, spend_to_date_thb "
                "from marts.program_headline_monthly where strftime(month, '%Y-%m') = ?",
                [month_filter],
            )
        )
        top = con.execute(
            """
            select c.rank_progress, c.city_code, coalesce(r.name_en, c.city_code), c.progress_pct
            from marts.city_progress_monthly c
            left join marts.dim_cities r using (city_code)
            where strftime(c.month, '%Y-%m') = ?
            order by c.rank_progress, c.city_code
            limit 5
            """,
            [month_filter],
        ).fetchall()
        obstacles = con.execute(
            "select obstacle_code, projects from marts.obstacle_ranking_monthly "
            "where strftime(month, '%Y-%m') = ? order by rank, obstacle_code limit 3",
            [month_filter],
        ).fetchall()
        not_taken = one_row(con.execute("select count(*) from dq.rejected_files where file_id is null"))[0]
        if months:
            # What this publication added: files received since the last one (a month validated again for
            # a late file is not counted again), as publication recorded it.
            accepted, quarantined, rejected = one_row(
                con.execute(
                    "select coalesce(rows_accepted, 0), coalesce(rows_quarantined, 0), "
                    "coalesce(files_rejected, 0) from meta.publication"
                )
            )
        else:
            accepted, quarantined = one_row(
                con.execute(
                    """
                    select coalesce(sum(evaluated_rows - failed_rows), 0), coalesce(sum(failed_rows), 0)
                    from dq.validation_runs where suite = 'submission_rows'
                    """
                )
            )
            rejected = one_row(
                con.execute("select count(*) from dq.rejected_files where file_id is not null")
            )[0]
    finally:
        con.close()
    return Headline(
        month=month_filter,
        certified_cities=int(program[0]),
        progress_pct=program[1],
        investment_value_thb=float(program[2]),
        spend_to_date_thb=float(program[3]),
        top_cities=[(int(r[0]), r[1], r[2], r[3]) for r in top],
        obstacles=[(code, int(count)) for code, count in obstacles],
        rows_accepted=int(accepted),
        rows_quarantined=int(quarantined),
        files_rejected=int(rejected),
        landing_entries_not_taken=int(not_taken),
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} %"


def format_headline(headline: Headline, warehouse: Path, months_processed: list[str]) -> str:
    processed = ", ".join(months_processed) if months_processed else "none new"
    scope = "this run" if months_processed else "all months"
    lines = [
        "",
        f"Smart City programme, {headline.month}",
        f"  months processed this run : {processed}",
        f"  certified cities          : {headline.certified_cities}",
        f"  overall progress          : {_pct(headline.progress_pct)}",
        f"  investment value          : {headline.investment_value_thb / 1e6:,.2f} million baht",
        f"  spend to date             : {headline.spend_to_date_thb / 1e6:,.2f} million baht",
        "  top 5 cities by progress  :",
    ]
    lines += [f"    {rank:>2}. {name} ({code}): {_pct(pct)}" for rank, code, name, pct in headline.top_cities]
    obstacles = (
        " > ".join(f"{code} ({count} projects)" for code, count in headline.obstacles) or "none listed"
    )
    lines += [
        f"  main obstacles            : {obstacles}",
        f"  rows accepted             : {headline.rows_accepted:,}   ({scope})",
        f"  rows quarantined          : {headline.rows_quarantined:,}   ({scope}; see dq.quarantine)",
        f"  files rejected            : {headline.files_rejected:,}   ({scope}; see dq.rejected_files)",
        f"  not taken from landing    : {headline.landing_entries_not_taken:,}   (see dq.rejected_files)",
        f"  warehouse                 : {warehouse}",
        "",
    ]
    return "\n".join(lines)
