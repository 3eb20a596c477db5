"""Thai wording of every reason code and warning code, for what is sent back to cities (`smartcity check`).

The English problem and fix of each check live with the check itself, in the suites (expectations/*.json);
this module gives each code a short name in Thai and English, and the fix in Thai, per code and, where one
code has several checks with different fixes, per checked column. A test checks that every code the suites
use has its Thai text here (tests/unit/test_thai_messages.py), so a new check cannot ship without it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeText:
    name_th: str
    name_en: str
    fix_th: str


# Keyed by code, then by the column the failing expectation checks (None: any column of that code).
REASONS: dict[str, dict[str | None, CodeText]] = {
    "MISSING_REQUIRED": {
        None: CodeText(
            "ข้อมูลที่จำเป็นว่าง",
            "a required value is empty",
            "กรอกค่าที่จำเป็นให้ครบ: รหัสเมือง รหัสโครงการ เดือนที่รายงาน และความก้าวหน้าสะสม",
        ),
        "city_code": CodeText(
            "ไม่มีรหัสเมือง",
            "city_code is empty",
            "กรอกรหัสเมือง (city_code / รหัสเมือง) ตามที่ทะเบียนเมืองกำหนด",
        ),
        "project_code": CodeText(
            "ไม่มีรหัสโครงการ",
            "project_code is empty",
            "กรอกรหัสโครงการ (project_code / รหัสโครงการ) ตามทะเบียนโครงการ",
        ),
        "report_month_text": CodeText(
            "ไม่มีเดือนที่รายงาน",
            "report_month is empty",
            "กรอกเดือนที่รายงาน (report_month / เดือนที่รายงาน) เช่น 2024-03 หรือ มี.ค. 67",
        ),
        "progress_pct_text": CodeText(
            "ไม่มีความก้าวหน้าสะสม",
            "progress_pct is empty",
            "กรอกความก้าวหน้าสะสม (progress_pct / ความก้าวหน้าสะสม) เป็นตัวเลข 0 ถึง 100",
        ),
    },
    "UNKNOWN_CITY": {
        None: CodeText(
            "ไม่พบรหัสเมืองในทะเบียน",
            "the city is not in the registry",
            "ใช้รหัสเมืองให้ตรงกับทะเบียนเมือง (registry/cities.csv) ทุกตัวอักษร",
        )
    },
    "UNKNOWN_PROJECT": {
        None: CodeText(
            "ไม่พบรหัสโครงการในทะเบียน",
            "the project is not in the registry",
            "ใช้รหัสโครงการจากทะเบียนโครงการ (registry/projects.csv) หรือขอให้สำนักงานขึ้นทะเบียนโครงการก่อน",
        )
    },
    "PROJECT_CITY_MISMATCH": {
        None: CodeText(
            "โครงการไม่ได้อยู่ในแผนของเมืองนี้",
            "the project belongs to another city",
            "ตรวจสอบคู่รหัสเมืองและรหัสโครงการกับทะเบียนโครงการ (registry/projects.csv)",
        )
    },
    "BAD_MONTH": {
        None: CodeText(
            "อ่านเดือนหรือวันที่ไม่ได้",
            "a month or date cannot be read",
            "เขียนเดือนเป็น ปปปป-ดด (ค.ศ.) หรือ ดด/ปปปป หรือชื่อเดือนภาษาไทยพร้อมปี เช่น มี.ค. 67",
        ),
        "submitted_at_error": CodeText(
            "อ่านวันที่ส่งไม่ได้",
            "submitted_at cannot be read",
            "เขียนวันที่ส่งเป็นวันและเวลา เช่น 2024-04-05 10:30 หรือเว้นว่างไว้",
        ),
    },
    "FUTURE_MONTH": {
        None: CodeText(
            "เดือนที่รายงานยังมาไม่ถึง",
            "the report month is in the future",
            "ตรวจสอบปีของเดือนที่รายงาน (ปี พ.ศ. มากกว่า ค.ศ. 543 ปี) และเดือน",
        )
    },
    "BAD_NUMBER": {
        None: CodeText(
            "อ่านตัวเลขไม่ได้",
            "a number cannot be read",
            "เขียนเป็นตัวเลข เช่น 45.5 หรือ 1,250,000.00",
        ),
        "progress_pct_error": CodeText(
            "อ่านความก้าวหน้าสะสมไม่ได้",
            "progress_pct cannot be read",
            "เขียนความก้าวหน้าสะสมเป็นตัวเลข เช่น 45.5 หรือ 45.5%",
        ),
        "spend_to_date_thb_error": CodeText(
            "อ่านเบิกจ่ายสะสมไม่ได้",
            "spend_to_date_thb cannot be read",
            "เขียนเบิกจ่ายสะสมเป็นจำนวนบาท เช่น 1,250,000.00 (ไม่ใช่หน่วยล้านบาท)",
        ),
    },
    "OUT_OF_RANGE": {
        None: CodeText(
            "ตัวเลขอยู่นอกช่วงที่รับได้",
            "a number is out of range",
            "ความก้าวหน้าสะสมต้องอยู่ระหว่าง 0 ถึง 100 และเบิกจ่ายสะสมต้องไม่ติดลบ",
        ),
        "progress_pct": CodeText(
            "ความก้าวหน้าสะสมอยู่นอกช่วง 0-100",
            "progress_pct is outside 0-100",
            "ความก้าวหน้าสะสมต้องอยู่ระหว่าง 0 ถึง 100",
        ),
        "spend_to_date_thb": CodeText(
            "เบิกจ่ายสะสมอยู่นอกช่วงที่รับได้",
            "spend_to_date_thb is out of range",
            "เบิกจ่ายสะสมต้องเป็นจำนวนบาทตั้งแต่ 0 ขึ้นไป (ไม่ติดลบ)",
        ),
    },
    "BAD_STATUS": {
        None: CodeText(
            "สถานะไม่ถูกต้อง",
            "the status is not allowed",
            "ใช้สถานะใดสถานะหนึ่ง: not_started, in_progress, completed, suspended, cancelled",
        )
    },
    "BAD_OBSTACLE": {
        None: CodeText(
            "รหัสปัญหาอุปสรรคไม่ถูกต้อง",
            "an obstacle code is unknown",
            "ใช้รหัส BUDGET POLICY PERSONNEL PROCUREMENT TECHNICAL LEGAL OTHER คั่นด้วย ; "
            "(รายละเอียดให้เขียนในหมายเหตุ)",
        )
    },
    "DUPLICATE": {
        None: CodeText(
            "แถวซ้ำกับที่ได้รับแล้ว",
            "an identical row was already received",
            "ไม่ต้องแก้ไข: ได้รับแถวนี้แล้ว ให้ส่งเฉพาะแถวใหม่หรือแถวที่แก้ไข",
        )
    },
}

WARNINGS: dict[str, CodeText] = {
    "PROGRESS_DECREASED": CodeText(
        "ความก้าวหน้าสะสมลดลงจากเดือนก่อน",
        "progress went down",
        "หากตัวเลขของเดือนก่อนสูงเกินจริง ให้ส่งแถวแก้ไขของเดือนนั้น หากโครงการปรับขอบเขต ให้แจ้งสำนักงาน "
        "หากถูกต้องทั้งสองเดือนไม่ต้องทำอะไร",
    ),
    "SPEND_DECREASED": CodeText(
        "เบิกจ่ายสะสมลดลงจากเดือนก่อน",
        "spend to date went down",
        "หากตัวเลขของเดือนก่อนผิด ให้ส่งแถวแก้ไขของเดือนนั้น หากมีการคืนเงิน ให้ระบุในหมายเหตุ",
    ),
    "SPEND_ABOVE_BUDGET": CodeText(
        "เบิกจ่ายสะสมเกินงบประมาณในทะเบียน",
        "spend is above the registered budget",
        "ตรวจสอบยอดเบิกจ่าย (บาท สะสม) และรหัสโครงการ หากได้รับอนุมัติเพิ่มงบ ให้ขอสำนักงานปรับทะเบียนโครงการ",
    ),
    "PROJECT_SILENT": CodeText(
        "โครงการไม่มีรายงานที่ผ่านการตรวจ",
        "the project has not reported",
        "ส่งแถวของโครงการนี้สำหรับเดือนที่ขาด (หรือแก้ไขแถวที่ถูกกักกันแล้วส่งใหม่)",
    ),
}


def reason_text(code: str, column: str | None = None) -> CodeText:
    """The Thai and English name and the Thai fix of a reason code (the column's own, if it has one)."""
    texts = REASONS[code]
    return texts.get(column) or texts[None]


def warning_text(code: str) -> CodeText:
    return WARNINGS[code]
