"""The contract's vocabulary in one place: columns, codes, their order and their names (contract, 2-4).

Everything else takes these from here or is checked against them by tests/unit/test_contract.py: the readers
and the code parsers (normalize.py), the registry's parser, the Great Expectations suites' value sets and
reason order (expectations/*.json), dbt's accepted_values and seeds (dbt_project/), the Thai wording sent
back to cities (reporting/thai_messages.py) and the documentation tables (docs/data-contract.md). Adding a
code is a change here, plus the rule that produces it and its test.
"""

from __future__ import annotations

from collections.abc import Mapping

# A submission row's columns, in the contract's order, and the Thai header accepted for each.
SUBMISSION_COLUMNS = (
    "city_code",
    "project_code",
    "report_month",
    "progress_pct",
    "spend_to_date_thb",
    "status",
    "obstacles",
    "remarks",
    "submitted_at",
)
REQUIRED_SUBMISSION_COLUMNS = ("city_code", "project_code", "report_month", "progress_pct")
THAI_HEADER_ALIASES: Mapping[str, str] = {
    "รหัสเมือง": "city_code",
    "รหัสโครงการ": "project_code",
    "เดือนที่รายงาน": "report_month",
    "ความก้าวหน้าสะสม": "progress_pct",
    "เบิกจ่ายสะสม": "spend_to_date_thb",
    "สถานะ": "status",
    "ปัญหาอุปสรรค": "obstacles",
    "หมายเหตุ": "remarks",
    "วันที่ส่ง": "submitted_at",
}

STATUS_CODES = ("not_started", "in_progress", "completed", "suspended", "cancelled")

# Obstacle codes with their English and Thai names (dbt seeds/obstacles.csv holds the same).
OBSTACLES: Mapping[str, tuple[str, str]] = {
    "BUDGET": ("Budget constraints", "ข้อจำกัดด้านงบประมาณ"),
    "POLICY": ("Policy changes", "การเปลี่ยนแปลงนโยบาย"),
    "PERSONNEL": ("Lack of personnel", "การขาดแคลนบุคลากร"),
    "PROCUREMENT": ("Procurement", "การจัดซื้อจัดจ้าง"),
    "TECHNICAL": ("Technical problems", "ปัญหาทางเทคนิค"),
    "LEGAL": ("Legal constraints", "ข้อจำกัดทางกฎหมาย"),
    "OTHER": ("Other", "อื่น ๆ"),
}
OBSTACLE_CODES = tuple(OBSTACLES)

# The 7 smart-city dimensions in the contract's order, English and Thai names (dbt seeds/dimensions.csv).
DIMENSIONS: Mapping[str, tuple[str, str]] = {
    "ENV": ("Smart Environment", "สิ่งแวดล้อมอัจฉริยะ"),
    "ENE": ("Smart Energy", "พลังงานอัจฉริยะ"),
    "MOB": ("Smart Mobility", "การเดินทางและขนส่งอัจฉริยะ"),
    "ECO": ("Smart Economy", "เศรษฐกิจอัจฉริยะ"),
    "LIV": ("Smart Living", "การดำรงชีวิตอัจฉริยะ"),
    "PEO": ("Smart People", "พลเมืองอัจฉริยะ"),
    "GOV": ("Smart Governance", "การบริหารภาครัฐอัจฉริยะ"),
}
DIMENSION_CODES = tuple(DIMENSIONS)

# The registry's vocabularies (registry/cities.csv, registry/projects.csv).
OPERATOR_TYPES = (
    "local_government",
    "state_enterprise",
    "university",
    "private",
    "province",
    "central_government",
)
CITY_TYPES = ("livable", "new")
PEER_GROUPS = ("city", "province")
CITY_STATUSES = ("certified", "proposal_passed", "proposal_revise", "proposal_rejected", "lapsed")
FUNDING_SOURCES = ("public", "private", "ppp")
PLAN_COMPONENTS = (1, 2, 3, 4, 5)

# Why a row is quarantined, in the contract's order: a row with several faults gets the first that applies.
REASON_CODES = (
    "MISSING_REQUIRED",
    "UNKNOWN_CITY",
    "UNKNOWN_PROJECT",
    "PROJECT_CITY_MISMATCH",
    "BAD_MONTH",
    "FUTURE_MONTH",
    "BAD_NUMBER",
    "OUT_OF_RANGE",
    "BAD_STATUS",
    "BAD_OBSTACLE",
    "DUPLICATE",
)

# Warnings for analysts: flagged and kept, never quarantined.
WARNING_CODES = ("PROGRESS_DECREASED", "SPEND_DECREASED", "SPEND_ABOVE_BUDGET", "PROJECT_SILENT")

# Amounts from this many baht are not real figures (OUT_OF_RANGE; registry budgets likewise).
MAX_AMOUNT_THB = 10**15

# Why a file or a landing entry gave nothing (dq.rejected_files.reason_code): received files that gave no row,
# then the entries of the landing area not taken (sources/rules.py).
REJECTED_FILE_CODES = (
    "UNREADABLE",
    "UNSUPPORTED_TYPE",
    "INCOMPLETE",
    "NO_DATA_ROWS",
    "NOT_A_MONTH_FOLDER",
    "MONTH_OUT_OF_RANGE",
    "OUTSIDE_MONTH_FOLDER",
    "NESTED_FOLDER",
    "HIDDEN_FILE",
    "TEMPORARY_FILE",
    "LINK_OUTSIDE_LANDING",
    "NOT_A_REGULAR_FILE",
    "UNUSABLE_NAME",
)
