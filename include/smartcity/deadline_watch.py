"""The deadline watch: after the reporting deadline of a month, which certified cities have not reported.

The deadline of month M is the 15th of the following month, 23:59:59 Bangkok time. The watch (DAG
`smartcity_deadline`, on the 16th at 00:30 Bangkok time) lists every city certified in M with nothing
accepted for M by then: no file at all, every row quarantined, or rows that do not report M in time. It writes
the list to `dq.missing_submissions` in its own DuckDB file, `<state>/deadline_watch.duckdb`, and sends it
through the pipeline's alert channel, naming each city's contact where the registry has one.

How it knows what was received and accepted without racing the monthly run: it never opens the build
database. It reads the landing area (registry and `submissions/<M>/`) and runs `smartcity check`'s code on
the month's files (validation/preflight.py: the pipeline's own readers, row rules and duplicate detection),
against the snapshots of accepted rows that the validate step writes (validation/accepted_history.py). Its
only write is its own file, of which it is the only writer (`max_active_runs=1`). The monthly run builds the
same list for every month it processes (dbt model `dq.missing_submissions`) into the published warehouse,
with the same definition; the two differ only by what arrived after the watch ran.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from smartcity.config import Settings
from smartcity.parsing import BANGKOK, THAI_MONTH_ABBREVIATIONS
from smartcity.validation.accepted_history import history_dir, open_history

log = logging.getLogger(__name__)

WATCH_DB_NAME = "deadline_watch.duckdb"
WATCH_SCHEMA = """
create schema if not exists dq;
create table if not exists dq.missing_submissions (
    city_code varchar not null,
    month date not null,
    deadline timestamptz not null,
    last_month_reported date,
    files_received integer not null,
    rows_accepted integer not null,
    contact_name varchar,
    contact_email varchar,
    checked_at timestamptz not null
);
"""


def deadline_of(month: date) -> datetime:
    """The reporting deadline of `month`: the 15th of the following month, 23:59:59 Bangkok time."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=15)
    return datetime.combine(following, time(23, 59, 59), tzinfo=BANGKOK)


def month_due(moment: datetime) -> date:
    """The latest month whose deadline has passed at `moment` (on the 16th of May or later: April)."""
    local = moment.astimezone(BANGKOK)
    first = date(local.year, local.month, 1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return previous if local.day > 15 else (previous - timedelta(days=1)).replace(day=1)


def watch_db(settings: Settings) -> Path:
    return settings.state_dir / WATCH_DB_NAME


@dataclass
class MissingCity:
    city_code: str
    name_en: str | None
    name_th: str | None
    last_month_reported: date | None
    files_received: int
    rows_accepted: int
    contact_name: str | None
    contact_email: str | None

    @property
    def situation(self) -> str:
        if self.files_received == 0:
            return "nothing received"
        if self.rows_accepted == 0:
            return "every row quarantined"
        return "rows received, none reporting the month by the deadline"


@dataclass
class WatchResult:
    month: date
    deadline: datetime
    checked_at: datetime
    certified_cities: int
    files_checked: int
    compared_with: str
    missing: list[MissingCity] = field(default_factory=list)
    files_refused: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for XCom and the alert."""
        value = asdict(self)
        value["month"] = f"{self.month:%Y-%m}"
        value["deadline"] = self.deadline.isoformat()
        value["checked_at"] = self.checked_at.isoformat()
        for city in value["missing"]:
            last = city["last_month_reported"]
            city["last_month_reported"] = f"{last:%Y-%m}" if last else None
        for city, item in zip(value["missing"], self.missing, strict=True):
            city["situation"] = item.situation
        return value


def find_missing(settings: Settings, month: date, now: datetime | None = None) -> WatchResult:
    """Check the month's landing files as the monthly run would, then list the certified cities with nothing
    accepted for `month` by its deadline. Writes nothing."""
    from smartcity.ingestion.sources import open_landing
    from smartcity.validation.preflight import check_files

    now = (now or datetime.now(UTC)).astimezone(UTC)
    deadline = deadline_of(month)
    landing = open_landing(settings.landing, None)
    files = [f.local_path for f in landing.submission_files(month)]
    result = check_files(settings, files, month=month, now=now, require_files=False)

    cities = result.cities
    certified = cities[
        (cities["status"] == "certified")
        & (pd.to_datetime(cities["status_since"]) <= pd.Timestamp(_last_day(month)))
    ]
    rows = _typed(result.rows)
    in_time = rows[
        rows["accepted"] & (rows["report_month"] == pd.Timestamp(month)) & (rows["submitted_at"] <= deadline)
    ]
    reported = set(in_time["city_code"]) | _reported_before(settings, month, deadline)
    last_reported = _last_months_reported(settings, month, deadline, rows)
    missing = []
    for city in certified.itertuples():
        if city.city_code in reported:
            continue
        own = rows[rows["city_code"] == city.city_code]
        missing.append(
            MissingCity(
                city_code=city.city_code,
                name_en=_text(city.name_en),
                name_th=_text(city.name_th),
                last_month_reported=last_reported.get(city.city_code),
                files_received=int(own["source_file"].nunique()),
                rows_accepted=int(own["accepted"].sum()),
                contact_name=_text(city.contact_name),
                contact_email=_text(city.contact_email),
            )
        )
    watch = WatchResult(
        month=month,
        deadline=deadline,
        checked_at=now,
        certified_cities=len(certified),
        files_checked=len(result.files),
        compared_with=result.history,
        missing=missing,
        files_refused=[(f.source_file, f.refused) for f in result.refused_files if f.refused is not None],
    )
    log.info(
        "deadline watch %s: %d of %d certified cities have nothing accepted by %s (%d file(s) checked)",
        f"{month:%Y-%m}",
        len(missing),
        len(certified),
        deadline.isoformat(),
        len(result.files),
    )
    return watch


def _typed(rows: pd.DataFrame) -> pd.DataFrame:
    """The check's row outcomes with comparable types (months and times as pandas timestamps)."""
    return pd.DataFrame(
        {
            "source_file": rows.get("source_file", pd.Series(dtype=object)),
            "city_code": rows.get("city_code", pd.Series(dtype=object)),
            "report_month": pd.to_datetime(rows.get("report_month", pd.Series(dtype=object))),
            "submitted_at": pd.to_datetime(rows.get("submitted_at", pd.Series(dtype=object)), utc=True),
            "accepted": rows.get("accepted", pd.Series(dtype=bool)).astype(bool),
        }
    )


def _last_day(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _history_query(settings: Settings, sql: str, params: dict) -> list[tuple]:
    """A query over the accepted-row snapshots (read-only files; never the build database)."""
    history = open_history(history_dir(settings))
    if history is None:
        return []
    con = duckdb.connect(":memory:")
    try:
        glob = "'" + history.glob.replace("'", "''") + "'"  # our own folder, quoted as a SQL string
        return con.execute(sql.replace("$glob", glob), params).fetchall()
    finally:
        con.close()


def _reported_before(settings: Settings, month: date, deadline: datetime) -> set[str]:
    """Cities whose accepted rows from earlier landing months already report `month` in time (possible only
    for a month processed before: the watch run again later)."""
    found = _history_query(
        settings,
        "select distinct city_code from read_parquet($glob, union_by_name = true) "
        "where report_month = $month and submitted_at <= $deadline",
        {"month": month, "deadline": deadline},
    )
    return {city for (city,) in found}


def _last_months_reported(
    settings: Settings, month: date, deadline: datetime, rows: pd.DataFrame
) -> dict[str, date]:
    """Per city, the latest month it had reported by the deadline: accepted rows for `month` or before,
    submitted by then, from the snapshots and from the files just checked."""
    last = {
        city: latest
        for city, latest in _history_query(
            settings,
            "select city_code, max(report_month) from read_parquet($glob, union_by_name = true) "
            "where report_month <= $month and submitted_at <= $deadline group by city_code",
            {"month": month, "deadline": deadline},
        )
    }
    accepted = rows[rows["accepted"] & (rows["report_month"] <= pd.Timestamp(month))]
    accepted = accepted[accepted["submitted_at"] <= deadline]
    for city, latest in accepted.groupby("city_code")["report_month"].max().items():
        latest = latest.date()
        last[city] = max(latest, last.get(city, latest))
    return last


def store(settings: Settings, watch: WatchResult) -> Path:
    """Replace the month's rows of dq.missing_submissions in the watch's own file (its only writer)."""
    path = watch_db(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {
            "city_code": [c.city_code for c in watch.missing],
            "month": watch.month,
            "deadline": watch.deadline,
            "last_month_reported": [c.last_month_reported for c in watch.missing],
            "files_received": [c.files_received for c in watch.missing],
            "rows_accepted": [c.rows_accepted for c in watch.missing],
            "contact_name": [c.contact_name for c in watch.missing],
            "contact_email": [c.contact_email for c in watch.missing],
            "checked_at": watch.checked_at,
        }
    )
    con = duckdb.connect(str(path))
    try:
        con.execute(WATCH_SCHEMA)
        con.begin()
        con.execute("delete from dq.missing_submissions where month = ?", [watch.month])
        if not frame.empty:
            con.register("missing_rows", frame)
            con.execute("insert into dq.missing_submissions by name select * from missing_rows")
            con.unregister("missing_rows")
        con.commit()
    finally:
        con.close()
    return path


_SITUATION_TH = {
    "nothing received": "ไม่ได้รับไฟล์ใดเลย",
    "every row quarantined": "ทุกแถวถูกกักกัน",
    "rows received, none reporting the month by the deadline": "ได้รับแถวข้อมูลแต่ไม่มีแถวของเดือนนี้ที่ส่งทันกำหนด",
}


def watch_alert(watch: dict[str, Any]):
    """The alert for a watch (`WatchResult.as_dict()`): subject, bilingual text, and the list as JSON."""
    from smartcity.alerts import Alert

    month = date.fromisoformat(watch["month"] + "-01")
    deadline = datetime.fromisoformat(watch["deadline"]).astimezone(BANGKOK)
    missing = watch["missing"]
    month_th = f"{THAI_MONTH_ABBREVIATIONS[month.month - 1]} {month.year + 543}"
    deadline_th = f"{deadline.day} {THAI_MONTH_ABBREVIATIONS[deadline.month - 1]} {deadline.year + 543}"
    lines = [
        f"Smart City: certified cities with nothing accepted for {watch['month']} by the deadline "
        f"({deadline:%Y-%m-%d %H:%M} Bangkok time): {len(missing)} of {watch['certified_cities']}",
        f"เมืองที่ได้รับการรับรองซึ่งยังไม่มีรายงานเดือน {month_th} ที่ผ่านการตรวจภายในกำหนด "
        f"({deadline_th} เวลา {deadline:%H:%M} น.): {len(missing)} จาก {watch['certified_cities']} เมือง",
    ]
    for city in missing:
        name = " / ".join(n for n in (city["name_th"], city["name_en"]) if n) or city["city_code"]
        line = (
            f"- {city['city_code']} {name}: {city['situation']} / {_SITUATION_TH[city['situation']]}; "
            f"files {city['files_received']}, rows accepted {city['rows_accepted']}, last month reported "
            f"{city['last_month_reported'] or 'none'}"
        )
        contact = " ".join(
            part
            for part in (
                city["contact_name"],
                f"<{city['contact_email']}>" if city["contact_email"] else None,
            )
            if part
        )
        lines.append(line + (f"; contact / ผู้ประสานงาน: {contact}" if contact else ""))
    if not missing:
        lines.append("Every certified city reported in time. / ทุกเมืองรายงานทันกำหนด")
    for name, reason in watch["files_refused"]:
        lines.append(f"File not readable / ไฟล์ที่อ่านไม่ได้: {name}: {reason}")
    lines.append(f"Compared with: {watch['compared_with']}")
    subject = (
        f"[smartcity] {watch['month']}: {len(missing)} certified cities have not reported "
        f"(deadline {deadline:%Y-%m-%d})"
    )
    return Alert(subject=subject, text="\n".join(lines), payload={"kind": "missing_submissions", **watch})
