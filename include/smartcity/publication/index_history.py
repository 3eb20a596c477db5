"""history.city_index_history: every published version of each city-month's index score and ranks, with the
methodology version that produced it and the run that published it.

Written by the publish step, not by dbt: the history.* snapshots dbt takes inside `dbt build` keep a
version even when its publication then fails. Here a version is written into the build database just before
the snapshot is copied (so the published file holds it) and removed again when the copy fails; a version
left by a run that died before recording its publication is removed by the next publication. The build
database thus only keeps versions that were published, each with its run id.

A new version is recorded for a city-month whenever its peer group, ranked flag, score, peer-group rank,
overall rank or methodology version differs from its last published version: a restated month, a late
re-assessment or a methodology change all leave the earlier version here.
"""

from __future__ import annotations

import logging
from datetime import datetime

import duckdb

from smartcity.state import one_row

log = logging.getLogger(__name__)

TABLE = "history.city_index_history"

_CREATE = """
create schema if not exists history;
create table if not exists history.city_index_history (
    city_code varchar not null,
    month date not null,
    peer_group varchar,
    ranked boolean,
    index_score double,
    rank_peer_group integer,
    rank integer,
    methodology_version varchar not null,
    published_run_id varchar not null,
    published_at timestamptz not null
);
comment on table history.city_index_history is
    'Every published version of each city-month''s index score and ranks (a new row only when a publication '
    'changed them), with the methodology version and the run that published it.';
comment on column history.city_index_history.city_code is 'The city.';
comment on column history.city_index_history.month is 'The month scored (first day, CE).';
comment on column history.city_index_history.peer_group is 'The peer group the city was ranked in then.';
comment on column history.city_index_history.ranked is 'Whether the city was ranked that month.';
comment on column history.city_index_history.index_score is 'The index score as published, 0-100.';
comment on column history.city_index_history.rank_peer_group is 'Rank within the peer group as published.';
comment on column history.city_index_history.rank is 'Overall rank as published.';
comment on column history.city_index_history.methodology_version is
    'The index methodology the version was computed with.';
comment on column history.city_index_history.published_run_id is
    'The run whose publication carried this version.';
comment on column history.city_index_history.published_at is 'When that publication was swapped in.';
"""

# The compared columns; scores are compared at the precision ranks use (9 decimals).
_RECORD_NEW_VERSIONS = """
insert into history.city_index_history
with latest as (
    select * from history.city_index_history
    qualify row_number() over (
        partition by city_code, month order by published_at desc, published_run_id desc
    ) = 1
)
select
    current.city_code, current.month, current.peer_group, current.ranked, current.index_score,
    current.rank_peer_group, current.rank, current.methodology_version, $run_id, $published_at
from marts.city_index_monthly as current
left join latest on current.city_code = latest.city_code and current.month = latest.month
where
    latest.city_code is null
    or current.peer_group is distinct from latest.peer_group
    or current.ranked is distinct from latest.ranked
    or round(current.index_score, 9) is distinct from round(latest.index_score, 9)
    or current.rank_peer_group is distinct from latest.rank_peer_group
    or current.rank is distinct from latest.rank
    or current.methodology_version is distinct from latest.methodology_version
"""


def record_new_versions(con: duckdb.DuckDBPyConnection, run_id: str, published_at: datetime) -> int:
    """Add this publication's new versions (after dropping any left by a run whose publication was never
    recorded); returns how many were added."""
    con.execute(_CREATE)
    con.begin()
    con.execute(
        "delete from history.city_index_history "
        "where published_run_id not in (select run_id from pipeline.publications)"
    )
    before = one_row(con.execute("select count(*) from history.city_index_history"))[0]
    con.execute(_RECORD_NEW_VERSIONS, {"run_id": run_id, "published_at": published_at})
    added = one_row(con.execute("select count(*) from history.city_index_history"))[0] - before
    con.commit()
    log.info("index history: %d new city-month version(s) recorded for run %s", added, run_id)
    return added


def discard_versions(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Remove the versions of a run whose publication failed."""
    con.execute(_CREATE)
    con.execute("delete from history.city_index_history where published_run_id = ?", [run_id])
