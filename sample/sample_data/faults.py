"""What arrives besides clean monthly files: late rows and files, corrections, duplicates, bad rows of every
reason code, a workbook that cannot be read and a file of a type that is not accepted.

None of it changes what the sample says. Late rows and files are moved, not altered. A correction replaces
a deliberately wrong earlier row with the calibrated value (the wrong one is superseded). Duplicates and bad
rows are extra rows, copies of a real row of the same file with one fault planted, so the real row still
carries the value. Every planted row records its expected outcome and why (model.PlannedRow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from .common import TARGET_MONTH, fixed2, month_text, rng
from .model import QUARANTINED, SUPERSEDED, PlannedFile, PlannedRow, folder_path
from .variants import FileStyle, derived_status
from .writers import corrupt_workbook, render, scanned_pdf


@dataclass
class Landing:
    """The planned submissions: regular files by (folder month, city), plus every other file by path."""

    regular: dict[tuple[int, str], PlannedFile]
    others: dict[str, PlannedFile]
    projects: dict[str, str]  # project_code -> city_code (the registry)
    budgets: dict[str, int]  # project_code -> budget in satang

    def files(self) -> list[PlannedFile]:
        return sorted([*self.regular.values(), *self.others.values()], key=lambda f: (f.folder, f.path))

    def add(self, f: PlannedFile) -> PlannedFile:
        assert f.path not in {g.path for g in self.files()}, f.path
        self.others[f.path] = f
        return f

    def regular_in(self, folder: int) -> list[PlannedFile]:
        return [f for (m, _), f in sorted(self.regular.items()) if m == folder]

    def next_file(self, f: PlannedFile, within: int = 2) -> PlannedFile | None:
        """The same city's regular file of the next month or the one after (a city skips a month at most)."""
        for step in range(1, within + 1):
            if f.folder + step <= TARGET_MONTH and (f.folder + step, f.city) in self.regular:
                return self.regular[(f.folder + step, f.city)]
        return None


def plan_faults(landing: Landing) -> None:
    """Everything this module plants, in a fixed order (each step only picks rows no earlier step touched)."""
    late_files(landing)
    late_rows(landing)
    corrections(landing)
    duplicates(landing)
    bad_rows(landing)
    rejected_files(landing)


def _plain_rows(f: PlannedFile) -> list[int]:
    return [i for i, row in enumerate(f.rows) if row.plain]


def _earlier_regular(landing: Landing, last: int) -> list[PlannedFile]:
    return [f for (m, _), f in sorted(landing.regular.items()) if m <= last]


# ---------------------------------------------------------------------------------------------- late


def late_files(landing: Landing, count: int = 3) -> None:
    """A city's whole file for a month lands one or two folders later, under another name."""
    r = rng("faults", "late-files")
    candidates = [f for f in _earlier_regular(landing, TARGET_MONTH - 3) if len(f.rows) >= 2]
    chosen: list[PlannedFile] = []
    for f in r.sample(candidates, len(candidates)):
        if len(chosen) < count and f.city not in {c.city for c in chosen}:
            if all(abs(f.folder - c.folder) >= 2 for c in chosen):
                chosen.append(f)
    for f in chosen:
        del landing.regular[(f.folder, f.city)]
        folder = f.folder + r.choice((1, 2))
        name = f"{f.city}_{month_text(f.folder)}.{f.style.extension}"
        moved = PlannedFile(folder_path(folder, name), folder, f.city, f.style, f.rows, role="late file")
        for row in moved.rows:
            row.note = f"late: report month {month_text(f.folder)} in folder {month_text(folder)}"
        landing.add(moved)


def late_rows(landing: Landing, count: int = 10) -> None:
    """A row left out of a city's file is sent with the city's file of a later month."""
    r = rng("faults", "late-rows")
    done: set[str] = set()
    candidates = _earlier_regular(landing, TARGET_MONTH - 1)
    for f in r.sample(candidates, len(candidates)):
        target = landing.next_file(f)
        if len(done) >= count or target is None or len(f.rows) < 3 or f.city in done:
            continue
        plain = _plain_rows(f)
        if not plain:
            continue
        row = f.rows.pop(r.choice(plain))
        row.values["submitted_at"] = target.rows[0].values["submitted_at"]  # sent with the later file
        row.note = f"late: report month {month_text(f.folder)} in folder {month_text(target.folder)}"
        target.rows.append(row)
        done.add(f.city)


# ---------------------------------------------------------------------------------------- corrections


def _wrong(values: dict[str, str], r) -> dict[str, str]:
    """What was first sent: progress mistyped (still a valid value), sometimes spend with an extra zero."""
    progress = Decimal(values["progress_pct"])
    step = Decimal(r.choice(("5.00", "8.50", "12.00")))
    wrong = dict(values)
    wrong["progress_pct"] = str(progress + step if progress <= 85 else progress - Decimal("10.00"))
    if r.random() < 0.5 and values["spend_to_date_thb"] not in ("", "0.00"):
        wrong["spend_to_date_thb"] = str(Decimal(values["spend_to_date_thb"]) * 10)
    return wrong


def _correctable(f: PlannedFile) -> list[int]:
    return [
        i
        for i in _plain_rows(f)
        if f.rows[i].values["status"] == "in_progress"
        and 5 <= Decimal(f.rows[i].values["progress_pct"]) <= 90
    ]


def _later(timestamp: str, days: int) -> str:
    return (datetime.fromisoformat(timestamp) + timedelta(days=days)).isoformat()


def _correct(original: PlannedRow, submitted_at: str, r, note: str) -> PlannedRow:
    """Turn a row into a wrong first version and return the correction that carries the true values."""
    true = dict(original.values)
    original.values = _wrong(true, r)
    original.outcome, original.pinned = SUPERSEDED, True
    original.note = "first version, corrected later"
    fixed = dict(true, submitted_at=submitted_at, remarks=f"แก้ไขข้อมูลเดือน {true['report_month']} / corrected")
    return PlannedRow(fixed, pinned=True, note=note)


def corrections(landing: Landing) -> None:
    r = rng("faults", "corrections")
    files = [
        f for f in _earlier_regular(landing, TARGET_MONTH - 1) if landing.next_file(f) and _correctable(f)
    ]
    files = r.sample(files, len(files))
    cities: set[str] = set()

    def take() -> PlannedFile:
        f = next(f for f in files if f.city not in cities and _correctable(f))
        cities.add(f.city)
        return f

    # 1. In the next month's file: a row for last month with the right figures, sent later.
    for _ in range(5):
        f = take()
        target = landing.next_file(f)
        original = f.rows[r.choice(_correctable(f))]
        target.rows.append(
            _correct(original, target.rows[0].values["submitted_at"], r, "correction of an earlier month")
        )
    # 2. A separate correction workbook with two rows, a few days after the month's file.
    f = take()
    later = landing.next_file(f)
    folder = later.folder
    book = landing.add(
        PlannedFile(
            folder_path(folder, f"{f.city}_corrections.xlsx"),
            folder,
            f.city,
            FileStyle(kind="xlsx", headers="th", month="thai_abbr_be2", timestamp="space"),
            role="correction file",
        )
    )
    stamp = _later(later.rows[0].values["submitted_at"], 3)
    for i in sorted(r.sample(_correctable(f), min(2, len(_correctable(f))))):
        book.rows.append(_correct(f.rows[i], stamp, r, "correction (separate correction file)"))
    # 3. Corrected twice: the first correction was wrong too; the second one, later still, is right.
    f = take()
    first_target = landing.next_file(f)
    second_target = landing.next_file(first_target) if first_target else None
    if second_target is None:
        raise AssertionError("no month for a second correction")
    original = f.rows[r.choice(_correctable(f))]
    true = dict(original.values)
    final = _correct(original, second_target.rows[0].values["submitted_at"], r, "second correction (wins)")
    middle = dict(
        _wrong(true, rng("faults", "second-wrong")), submitted_at=first_target.rows[0].values["submitted_at"]
    )
    middle["remarks"] = f"แก้ไขข้อมูลเดือน {true['report_month']} (ครั้งที่ 1)"
    first_target.rows.append(
        PlannedRow(middle, outcome=SUPERSEDED, pinned=True, note="first correction, itself corrected later")
    )
    second_target.rows.append(final)
    # 4. March itself: the largest running project outside the leaders is first sent wrong, then corrected
    #    within the month by a file that sorts (and so arrives) before the city's own file.
    march = [
        (f, i)
        for f in landing.regular_in(TARGET_MONTH)
        if f.city not in cities | {"MAE_MOH", "KHLONG_PHADUNG", "SAMYAN"}
        for i in _correctable(f)
    ]
    f, i = max(march, key=lambda fi: (landing.budgets[fi[0].rows[fi[1]].values["project_code"]], fi[0].path))
    stamp = _later(f.rows[i].values["submitted_at"], 11)
    fix = landing.add(
        PlannedFile(
            folder_path(TARGET_MONTH, f"{f.city}-correction.json"),
            TARGET_MONTH,
            f.city,
            FileStyle(kind="json", headers="th", month="thai_full_be"),
            role="correction file",
        )
    )
    fix.rows.append(
        _correct(f.rows[i], stamp, r, "correction of March 2024, arrives before the first version")
    )


# ------------------------------------------------------------------------------------------ duplicates


def _copy(row: PlannedRow, note: str) -> PlannedRow:
    row.pinned = True
    return PlannedRow(dict(row.values), outcome=QUARANTINED, reason="DUPLICATE", note=note, pinned=True)


def duplicates(landing: Landing) -> None:
    r = rng("faults", "duplicates")
    pool = [f for f in _earlier_regular(landing, TARGET_MONTH) if len(_plain_rows(f)) >= 3]
    pool = r.sample(pool, len(pool))
    used: set[str] = set()

    def take(condition: Callable[[PlannedFile], bool]) -> PlannedFile:
        f = next(f for f in pool if f.path not in used and condition(f))
        used.add(f.path)
        return f

    # The same row twice in one file (pasted twice).
    for _ in range(2):
        f = take(lambda f: True)
        i = r.choice(_plain_rows(f))
        position = r.randint(i + 1, len(f.rows))
        f.rows.insert(position, _copy(f.rows[i], f"same row twice in the file (copy of row {i + 1})"))

    # A row of last month's file sent again with this month's; the second one is a row without status, which
    # is identical to its re-sent copy as sent (both without status), whatever status a reader derives.
    def derivable(f: PlannedFile) -> list[int]:
        return [
            i
            for i in _plain_rows(f)
            if f.rows[i].values["status"] == derived_status(f.rows[i].values["progress_pct"])
        ]

    for without_status in (False, True):
        f = take(
            lambda f, gap=without_status: (
                f.folder < TARGET_MONTH and landing.next_file(f) is not None and (derivable(f) or not gap)
            )
        )
        target = landing.next_file(f)
        used.add(target.path)
        source = f.rows[r.choice(derivable(f) if without_status else _plain_rows(f))]
        note = f"row of {f.path} sent again, identical"
        if without_status:
            source.values["status"] = ""
            note += " (both without status)"
        target.rows.insert(r.randint(0, len(target.rows)), _copy(source, note))
    # A whole file sent again the next month, as JSON with the same text in every cell.
    f = take(
        lambda f: f.folder < TARGET_MONTH and f.style.kind == "csv" and len(f.rows) == len(_plain_rows(f))
    )
    folder = f.folder + 1
    style = replace(f.style, kind="json", encoding="utf-8", typed=False, blank_row=False, omit=())
    resent = landing.add(
        PlannedFile(folder_path(folder, f"{f.city}_resend.json"), folder, f.city, style, role="re-sent file")
    )
    resent.rows = [_copy(row, f"re-sent: identical to a row of {f.path}") for row in f.rows]


# ------------------------------------------------------------------------------------------- bad rows

Mutation = Callable[[dict[str, str], "Context"], dict[str, str]]


@dataclass(frozen=True)
class Context:
    folder: int
    city: str
    projects: dict[str, str]


@dataclass(frozen=True)
class Fault:
    reason: str
    what: str  # a sentence for the manifest and the README
    mutate: Mutation
    folder: int | None = None  # a fixed landing month, when the fault needs one


def _set(**changes: str) -> Mutation:
    return lambda values, ctx: changes


def _progress(fmt: Callable[[Decimal], str]) -> Mutation:
    return lambda values, ctx: {"progress_pct": fmt(Decimal(values["progress_pct"]))}


def _be_year_ahead(values: dict[str, str], ctx: Context) -> dict[str, str]:
    """The BE year typed one too high: next year's month, after the month processed."""
    year, month = divmod(ctx.folder, 12)
    return {"report_month": f"{year + 1 + 543}-{month + 1:02d}"}


def _unknown_city(values: dict[str, str], ctx: Context) -> dict[str, str]:
    code = values["city_code"]
    typo = code.replace("_", "", 1) if "_" in code else code[:-1]
    return {"city_code": typo}


def _unknown_project(values: dict[str, str], ctx: Context) -> dict[str, str]:
    return {"project_code": values["project_code"][:-2] + "99"}


def _other_city_project(values: dict[str, str], ctx: Context) -> dict[str, str]:
    other = sorted(code for code, city in ctx.projects.items() if city != ctx.city and "-GOV-" in code)
    return {"project_code": other[rng("faults", "mismatch", ctx.city).randrange(len(other))]}


def _comma_decimal(p: Decimal) -> str:
    return fixed2(int(p * 100)).replace(".", ",")


FAULTS: tuple[Fault, ...] = (
    Fault("MISSING_REQUIRED", "city_code left empty", _set(city_code="")),
    Fault("MISSING_REQUIRED", "project_code left empty", _set(project_code="")),
    Fault("MISSING_REQUIRED", "report_month left empty", _set(report_month="")),
    Fault("MISSING_REQUIRED", "progress_pct left empty", _set(progress_pct="")),
    Fault(
        "MISSING_REQUIRED",
        "progress_pct empty and status 'ongoing' (MISSING_REQUIRED comes first)",
        _set(progress_pct="", status="ongoing"),
    ),
    Fault("UNKNOWN_CITY", "city_code mistyped (an underscore dropped)", _unknown_city),
    Fault(
        "UNKNOWN_CITY",
        "city_code 'BANGKOK' (not a registry code) and progress 'n/a' (UNKNOWN_CITY comes first)",
        _set(city_code="BANGKOK", progress_pct="n/a"),
    ),
    Fault("UNKNOWN_PROJECT", "project_code not in the registry (number 99)", _unknown_project),
    Fault("PROJECT_CITY_MISMATCH", "project_code of another city's plan", _other_city_project),
    Fault(
        "PROJECT_CITY_MISMATCH",
        "another city's project and report_month '13/2566' (PROJECT_CITY_MISMATCH comes first)",
        lambda v, ctx: {**_other_city_project(v, ctx), "report_month": "13/2566"},
    ),
    Fault("BAD_MONTH", "report_month with month 13 ('2566-13')", _set(report_month="2566-13")),
    Fault("BAD_MONTH", "report_month a Thai month name without a year ('มีนาคม')", _set(report_month="มีนาคม")),
    Fault("BAD_MONTH", "report_month a quarter ('ไตรมาส 2/2566')", _set(report_month="ไตรมาส 2/2566")),
    Fault("BAD_MONTH", "submitted_at 'ไม่ระบุ' (not given, in words)", _set(submitted_at="ไม่ระบุ")),
    Fault(
        "BAD_MONTH", "submitted_at on 31 February ('31/02/2567 10:00')", _set(submitted_at="31/02/2567 10:00")
    ),
    Fault(
        "BAD_MONTH",
        "report_month 'ก.พ.' without year and status 'delayed' (BAD_MONTH comes first)",
        _set(report_month="ก.พ.", status="delayed"),
    ),
    Fault("FUTURE_MONTH", "BE year typed one too high: a month of next year", _be_year_ahead),
    Fault(
        "FUTURE_MONTH",
        "report_month April 2024 ('04/2567') in the March folder",
        _set(report_month="04/2567"),
        folder=TARGET_MONTH,
    ),
    Fault(
        "FUTURE_MONTH",
        "report_month next year and progress 150 (FUTURE_MONTH comes first)",
        lambda v, ctx: {**_be_year_ahead(v, ctx), "progress_pct": "150"},
    ),
    Fault("BAD_NUMBER", "progress_pct with a decimal comma", _progress(_comma_decimal)),
    Fault("BAD_NUMBER", "progress_pct 'ประมาณ 50' (about 50)", _set(progress_pct="ประมาณ 50")),
    Fault(
        "BAD_NUMBER",
        "spend_to_date_thb in European style ('1.234.567,89')",
        _set(spend_to_date_thb="1.234.567,89"),
    ),
    Fault(
        "BAD_NUMBER",
        "spend_to_date_thb in million baht with a word ('12.5 ล้าน')",
        _set(spend_to_date_thb="12.5 ล้าน"),
    ),
    Fault("OUT_OF_RANGE", "progress_pct 120", _set(progress_pct="120")),
    Fault("OUT_OF_RANGE", "progress_pct -5", _set(progress_pct="-5")),
    Fault("OUT_OF_RANGE", "spend_to_date_thb negative", _set(spend_to_date_thb="-250000.00")),
    Fault(
        "OUT_OF_RANGE",
        "progress_pct 101 and obstacle 'FUNDING' (OUT_OF_RANGE comes first)",
        _set(progress_pct="101", obstacles="FUNDING"),
    ),
    Fault("BAD_STATUS", "status 'done'", _set(status="done")),
    Fault("BAD_STATUS", "status in Thai words ('เสร็จแล้ว')", _set(status="เสร็จแล้ว")),
    Fault(
        "BAD_STATUS",
        "status 'on hold' and obstacles in Thai words (BAD_STATUS comes first)",
        _set(status="on hold", obstacles="งบประมาณไม่เพียงพอ"),
    ),
    Fault("BAD_OBSTACLE", "obstacles in Thai words ('งบประมาณไม่เพียงพอ')", _set(obstacles="งบประมาณไม่เพียงพอ")),
    Fault("BAD_OBSTACLE", "an unknown obstacle code ('BUDGET;FUNDING')", _set(obstacles="BUDGET;FUNDING")),
    Fault("BAD_OBSTACLE", "obstacles separated by '/' ('BUDGET/POLICY')", _set(obstacles="BUDGET/POLICY")),
)


def bad_rows(landing: Landing) -> None:
    """Each fault as an extra row in a different file: a copy of a real row of that file with the fault
    planted, spread over the twelve folders and the three formats."""
    r = rng("faults", "bad-rows")
    folders = [m for m in sorted({m for m, _ in landing.regular})]
    order = r.sample(folders, len(folders))
    used: set[str] = set()
    for number, fault in enumerate(FAULTS):
        folder = fault.folder if fault.folder is not None else order[number % len(order)]
        kind = ("csv", "xlsx", "json")[number % 3]
        files = [f for f in landing.regular_in(folder) if f.path not in used and _plain_rows(f)]
        preferred = [f for f in files if f.style.kind == kind] or files
        f = r.choice(preferred)
        used.add(f.path)
        template = f.rows[r.choice(_plain_rows(f))]
        changes = fault.mutate(template.values, Context(folder, f.city, landing.projects))
        row = PlannedRow(
            {**template.values, **changes},
            outcome=QUARANTINED,
            reason=fault.reason,
            note=fault.what,
            verbatim=frozenset(changes),
        )
        f.rows.insert(r.randint(0, len(f.rows)), row)


# ------------------------------------------------------------------------------------- rejected files


def rejected_files(landing: Landing) -> None:
    """A workbook cut off during upload, and a scanned PDF: both kept and listed in dq.rejected_files."""
    r = rng("faults", "rejected")
    folder = TARGET_MONTH - 6
    f = r.choice([f for f in landing.regular_in(folder) if f.style.kind == "csv"])
    complete = render(FileStyle(kind="xlsx"), f.rows, None)
    landing.add(
        PlannedFile(
            folder_path(folder, f"{f.city}_v2.xlsx"),
            folder,
            f.city,
            None,
            role="rejected",
            content=corrupt_workbook(complete),
            rejected="a workbook cut off half-way through the upload: not a readable XLSX",
        )
    )
    folder, city = TARGET_MONTH - 2, f.city
    f = r.choice([f for f in landing.regular_in(folder) if f.city != city])
    landing.add(
        PlannedFile(
            folder_path(folder, f"{f.city}_scan.pdf"),
            folder,
            f.city,
            None,
            role="rejected",
            content=scanned_pdf(f"{f.city} progress report {month_text(folder)} (signed scan)"),
            rejected="a scanned PDF: not an accepted file type",
        )
    )


__all__ = ["FAULTS", "Landing", "plan_faults"]
