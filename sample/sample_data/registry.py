"""The sample registry as data: cities, proposals, dimensions, project-name templates and the roles that
make the sample exercise the pipeline (cancelled, silent and suspended projects).

Facts come from /work/shared/domain.md (names, provinces, operators where a source gives them). Everything a
source does not state is marked: unknown areas carry the code prefix ``ILLUSTRATIVE_`` and the name suffixes
``(illustrative)`` / ``(สมมติ)``; an unconfirmed operator carries ``(illustrative)`` in its name. Dates of
certification are illustrative too (only the year is known), see the README the generator writes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CitySpec:
    code: str
    name_th: str
    name_en: str
    province_code: str
    operator_name: str
    operator_type: str
    city_type: str
    peer_group: str
    status: str
    status_since: str  # written as it appears in cities.csv: ISO CE date, or a BE date for a few
    scale: str  # relative size of the plan's investment: S, M, L or XL (illustrative)


# Relative weight of a plan's total investment by scale; only the shape matters, the programme total is fixed.
SCALE_WEIGHT = {"S": 1.0, "M": 2.2, "L": 4.5, "XL": 9.0}

# The certification dates are not published in our sources: two illustrative 2021 rounds, one in Nov 2022
# ("30 areas in 23 provinces, Nov 2022"). A few are written in BE because the contract accepts it.
_R1, _R2, _R2_BE = "2021-01-28", "2021-06-15", "2564-06-15"
_R3, _R3_BE = "2022-11-09", "2565-11-09"

_C, _P = "city", "province"
_LIV, _NEW = "livable", "new"
_CERT = "certified"

# fmt: off
CERTIFIED: tuple[CitySpec, ...] = (
    # --- certified in 2021 (15) ---
    CitySpec("PHUKET", "ภูเก็ตเมืองอัจฉริยะ", "Phuket Smart City", "TH-83",
             "Phuket Province (illustrative)", "province", _LIV, _P, _CERT, _R1, "XL"),
    CitySpec("KHON_KAEN", "ขอนแก่นเมืองอัจฉริยะ", "Khon Kaen Smart City", "TH-40",
             "Khon Kaen Province (illustrative)", "province", _LIV, _P, _CERT, _R1, "XL"),
    CitySpec("MAE_MOH", "แม่เมาะเมืองน่าอยู่", "Mae Moh Livable City", "TH-52",
             "Electricity Generating Authority of Thailand (EGAT)", "state_enterprise",
             _LIV, _C, _CERT, _R1, "M"),
    CitySpec("SAMYAN", "สามย่านสมาร์ทซิตี้", "Samyan Smart City", "TH-10",
             "Chulalongkorn University Property Management Office", "university", _LIV, _C, _CERT, _R1, "S"),
    CitySpec("WANGCHAN_VALLEY", "วังจันทร์วัลเลย์", "Wangchan Valley", "TH-21",
             "Wangchan Valley operator (illustrative)", "private", _NEW, _C, _CERT, _R1, "XL"),
    CitySpec("RAMA_4", "เมืองอัจฉริยะพระราม 4", "Rama 4 Smart City", "TH-10",
             "Rama 4 operator (illustrative)", "private", _LIV, _C, _CERT, _R1, "L"),
    CitySpec("KHLONG_PHADUNG", "คลองผดุงกรุงเกษม", "Khlong Phadung Krung Kasem", "TH-10",
             "Bangkok Metropolitan Administration", "local_government", _LIV, _C, _CERT, _R1, "S"),
    CitySpec("MAKKASAN", "เมืองอัจฉริยะมักกะสัน", "Makkasan Smart City", "TH-10",
             "Makkasan operator (illustrative)", "state_enterprise", _LIV, _C, _CERT, _R1, "L"),
    CitySpec("CHIANG_MAI_OLD_CITY", "เมืองเก่าเชียงใหม่", "Chiang Mai Old City", "TH-50",
             "Chiang Mai City Municipality", "local_government", _LIV, _C, _CERT, _R2, "M"),
    CitySpec("CMU_SMART_CITY", "มหาวิทยาลัยเชียงใหม่เมืองอัจฉริยะ", "CMU Smart City", "TH-50",
             "Chiang Mai University", "university", _LIV, _C, _CERT, _R2_BE, "M"),
    CitySpec("SRI_TRANG", "ศรีตรังเมืองอัจฉริยะ", "Sri Trang Smart City", "TH-92",
             "Trang City Municipality (illustrative)", "local_government", _LIV, _C, _CERT, _R2, "M"),
    CitySpec("YALA", "ยะลาเมืองอัจฉริยะ", "Yala Smart City", "TH-95",
             "Yala City Municipality", "local_government", _LIV, _C, _CERT, _R2, "M"),
    CitySpec("CHACHOENGSAO", "ฉะเชิงเทราเมืองอัจฉริยะ", "Chachoengsao Smart City", "TH-24",
             "Chachoengsao Province (illustrative)", "province", _LIV, _P, _CERT, _R2_BE, "L"),
    CitySpec("NAKHON_SAWAN", "นครสวรรค์เมืองอัจฉริยะ", "Nakhon Sawan Smart City", "TH-60",
             "Nakhon Sawan City Municipality (illustrative)", "local_government", _LIV, _C, _CERT, _R2, "M"),
    CitySpec("ILLUSTRATIVE_2021_A", "พื้นที่ตัวอย่าง 2564-ก (สมมติ)", "Sample area 2021-A (illustrative)", "TH-20",
             "Sample operator 2021-A (illustrative)", "local_government", _LIV, _C, _CERT, _R2, "M"),
    # --- certified in 2022 (15); the six illustrative ones lie in six further provinces: 23 in all ---
    CitySpec("NAKHON_RAYONG", "นครระยองเมืองอัจฉริยะ", "Nakhon Rayong Smart City", "TH-21",
             "Nakhon Rayong City Municipality (illustrative)", "local_government", _LIV, _C, _CERT, _R3, "L"),
    CitySpec("KHAN_SONG", "ขันสองโมเดล", "Khan Song Model", "TH-20",
             "Khan Song operator (illustrative)", "local_government", _LIV, _C, _CERT, _R3, "M"),
    CitySpec("PHITSANULOK_1", "พิษณุโลกเมืองอัจฉริยะ (แผนที่ 1)", "Phitsanulok Smart City (plan 1)", "TH-65",
             "Phitsanulok City Municipality (illustrative)", "local_government", _LIV, _C, _CERT, _R3, "M"),
    CitySpec("PHITSANULOK_2", "พิษณุโลกเมืองอัจฉริยะ (แผนที่ 2)", "Phitsanulok Smart City (plan 2)", "TH-65",
             "Phitsanulok plan 2 operator (illustrative)", "university", _LIV, _C, _CERT, _R3, "S"),
    CitySpec("CHIANG_RAI", "เชียงรายเมืองอัจฉริยะ", "Chiang Rai Smart City", "TH-57",
             "Chiang Rai City Municipality (illustrative)", "local_government", _LIV, _C, _CERT, _R3, "M"),
    CitySpec("NAN", "น่านเมืองอัจฉริยะ", "Nan Smart City", "TH-55",
             "Nan Town Municipality (illustrative)", "local_government", _LIV, _C, _CERT, _R3_BE, "S"),
    CitySpec("KORAT", "โคราชสมาร์ทซิตี้", "Korat Smart City", "TH-30",
             "Nakhon Ratchasima Province (illustrative)", "province", _LIV, _P, _CERT, _R3, "XL"),
    CitySpec("KRABI", "กระบี่เมืองอัจฉริยะ", "Krabi Smart City", "TH-81",
             "Krabi Town Municipality (illustrative)", "local_government", _LIV, _C, _CERT, _R3, "M"),
    CitySpec("PATTANI", "ปัตตานีเมืองอัจฉริยะ", "Pattani Smart City", "TH-94",
             "Pattani Town Municipality (illustrative)", "local_government", _LIV, _C, _CERT, _R3, "S"),
    CitySpec("ILLUSTRATIVE_2022_A", "พื้นที่ตัวอย่าง 2565-ก (สมมติ)", "Sample area 2022-A (illustrative)", "TH-34",
             "Sample operator 2022-A (illustrative)", "local_government", _LIV, _C, _CERT, _R3, "M"),
    CitySpec("ILLUSTRATIVE_2022_B", "พื้นที่ตัวอย่าง 2565-ข (สมมติ)", "Sample area 2022-B (illustrative)", "TH-41",
             "Sample operator 2022-B (illustrative)", "local_government", _LIV, _C, _CERT, _R3, "M"),
    CitySpec("ILLUSTRATIVE_2022_C", "พื้นที่ตัวอย่าง 2565-ค (สมมติ)", "Sample area 2022-C (illustrative)", "TH-90",
             "Sample operator 2022-C (illustrative)", "local_government", _LIV, _C, _CERT, _R3_BE, "L"),
    CitySpec("ILLUSTRATIVE_2022_D", "พื้นที่ตัวอย่าง 2565-ง (สมมติ)", "Sample area 2022-D (illustrative)", "TH-84",
             "Sample operator 2022-D (illustrative)", "local_government", _LIV, _C, _CERT, _R3, "M"),
    CitySpec("ILLUSTRATIVE_2022_E", "พื้นที่ตัวอย่าง 2565-จ (สมมติ)", "Sample area 2022-E (illustrative)", "TH-73",
             "Sample operator 2022-E (illustrative)", "university", _LIV, _C, _CERT, _R3, "S"),
    CitySpec("ILLUSTRATIVE_2022_F", "พื้นที่ตัวอย่าง 2565-ฉ (สมมติ)", "Sample area 2022-F (illustrative)", "TH-12",
             "Sample operator 2022-F (illustrative)", "private", _NEW, _C, _CERT, _R3, "L"),
)

# The four proposals screened before the 23 April 2024 report. The meeting date is not published:
# 28 March 2024 (illustrative) keeps them inside the sample's last month.
_SCREENED = "2024-03-28"
PROPOSALS: tuple[CitySpec, ...] = (
    CitySpec("CHAOFA_TINICON_VALLEY", "เจ้าฟ้า ทินีคอน วัลเลย์", "Chaofa Tinicon Valley", "TH-83",
             "Phuket Phiwat Co.", "private", _NEW, _C, "proposal_passed", _SCREENED, "M"),
    CitySpec("MAE_HIA", "เทศบาลเมืองแม่เหียะ", "Mae Hia Smart City", "TH-50",
             "Mae Hia Town Municipality", "local_government", _LIV, _C, "proposal_passed", _SCREENED, "S"),
    CitySpec("TAKHLI", "เทศบาลเมืองตาคลี", "Takhli Town Municipality", "TH-60",
             "Takhli Town Municipality", "local_government", _LIV, _C, "proposal_revise", _SCREENED, "S"),
    CitySpec("KORAT_MUNICIPALITY", "โคราชสมาร์ทซิตี้ (เทศบาลนครนครราชสีมา)",
             "Korat Smart City (Nakhon Ratchasima City Municipality)", "TH-30",
             "Nakhon Ratchasima City Municipality", "local_government",
             _LIV, _C, "proposal_revise", _SCREENED, "M"),
)
# fmt: on

ALL_CITIES: tuple[CitySpec, ...] = CERTIFIED + PROPOSALS

# Cities whose plan covers all 7 dimensions (domain.md: Korat Smart City, province level).
ALL_DIMENSIONS_CITIES = frozenset({"KORAT"})

# The three leaders of March 2024 and their reported progress (Post Today, 23 April 2024), in hundredths.
TOP_CITIES: dict[str, int] = {"MAE_MOH": 9667, "KHLONG_PHADUNG": 8938, "SAMYAN": 8503}
# The city whose largest project absorbs the last satang-level difference to the programme figure.
BALANCING_CITY = "PHUKET"

# Special roles (the project is picked inside the city by rule, see projects.assign_roles).
CANCELLED = {
    "RAMA_4": "2023-10",
    "ILLUSTRATIVE_2022_C": "2024-01",
}  # city -> month the cancellation is reported
NEVER_REPORTED_NOT_STARTED = "NAN"  # a project that starts after March 2024 and never reports
NEVER_REPORTED_SILENT = "KRABI"  # a running project the city never reports on (a data gap)
SUSPENDED = {  # city -> (first, last) suspended month; the last one is still suspended in March 2024
    "KHON_KAEN": ("2023-08", "2023-10"),
    "CHIANG_RAI": ("2023-11", "2024-01"),
    "PATTANI": ("2024-01", "2024-03"),
}

# Plan-assessment level (0-100) for a few cities, echoing the 2023 index leaders; others are drawn at random.
PLAN_QUALITY = {"WANGCHAN_VALLEY": 88, "PHUKET": 87, "SAMYAN": 85, "CHACHOENGSAO": 82, "KHLONG_PHADUNG": 80}

# The optional contact columns of cities.csv (the deadline watch names whom to chase), for some cities only:
# illustrative names and addresses under the reserved .example domain, never real people.
CONTACTS = {
    "KRABI": ("Krabi smart city desk (illustrative)", "smartcity@krabi.example"),
    "NAKHON_RAYONG": ("Nakhon Rayong data officer (illustrative)", "data@nakhon-rayong.example"),
    "PHUKET": ("ผู้ประสานงานเมืองอัจฉริยะภูเก็ต (สมมติ)", "smartcity@phuket.example"),
    "YALA": ("Yala city reporting team (illustrative)", "report@yala.example"),
}

DIMENSIONS = ("ENV", "ENE", "MOB", "ECO", "LIV", "PEO", "GOV")
OBSTACLES = ("BUDGET", "POLICY", "PERSONNEL", "PROCUREMENT", "TECHNICAL", "LEGAL", "OTHER")

# Five typical projects per dimension: (Thai name, English name).
PROJECT_TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "ENV": (
        ("ระบบบริหารจัดการขยะอัจฉริยะ", "Smart waste management"),
        ("เครือข่ายเซนเซอร์ตรวจวัดคุณภาพอากาศ PM2.5", "PM2.5 air quality sensor network"),
        ("ระบบเตือนภัยน้ำท่วมล่วงหน้า", "Flood early-warning system"),
        ("ระบบติดตามคุณภาพน้ำ", "Water quality monitoring"),
        ("สวนสาธารณะและพื้นที่สีเขียวอัจฉริยะ", "Smart parks and green space"),
    ),
    "ENE": (
        ("โซลาร์รูฟท็อปบนอาคารสาธารณะ", "Solar rooftops on public buildings"),
        ("ไฟถนนอัจฉริยะ LED", "Smart LED street lighting"),
        ("ระบบบริหารจัดการพลังงานในอาคาร", "Building energy management system"),
        ("สถานีอัดประจุยานยนต์ไฟฟ้า", "EV charging stations"),
        ("ไมโครกริดชุมชน", "Community microgrid"),
    ),
    "MOB": (
        ("ระบบขนส่งสาธารณะอัจฉริยะ", "Smart public transport"),
        ("ระบบสัญญาณไฟจราจรอัจฉริยะ", "Adaptive traffic signals"),
        ("ระบบที่จอดรถอัจฉริยะ", "Smart parking"),
        ("รถโดยสารไฟฟ้า", "Electric shuttle buses"),
        ("แอปพลิเคชันข้อมูลการเดินทาง", "Travel information app"),
    ),
    "ECO": (
        ("แพลตฟอร์มการค้าออนไลน์ของชุมชน", "Community e-commerce platform"),
        ("ศูนย์บ่มเพาะสตาร์ทอัพ", "Start-up incubation centre"),
        ("แพลตฟอร์มการท่องเที่ยวอัจฉริยะ", "Smart tourism platform"),
        ("ตลาดอัจฉริยะ", "Smart market"),
        ("ระบบชำระเงินดิจิทัลในพื้นที่", "Local digital payments"),
    ),
    "LIV": (
        ("กล้องวงจรปิดอัจฉริยะเพื่อความปลอดภัย", "Smart CCTV for public safety"),
        ("ระบบการแพทย์ทางไกล", "Telemedicine service"),
        ("ระบบดูแลผู้สูงอายุ", "Elderly care monitoring"),
        ("ระบบแจ้งเหตุฉุกเฉิน", "Emergency alert service"),
        ("อินเทอร์เน็ตไร้สายสาธารณะ", "Public Wi-Fi"),
    ),
    "PEO": (
        ("ศูนย์การเรียนรู้ดิจิทัลชุมชน", "Community digital learning centre"),
        ("พัฒนาทักษะดิจิทัลของประชาชน", "Digital skills training"),
        ("ห้องเรียนอัจฉริยะ", "Smart classrooms"),
        ("พื้นที่สร้างสรรค์นวัตกรรม", "Innovation makerspace"),
        ("แพลตฟอร์มจับคู่งาน", "Job matching platform"),
    ),
    "GOV": (
        ("แพลตฟอร์มข้อมูลเมือง (City Data Platform)", "City Data Platform"),
        ("ระบบบริการภาครัฐอิเล็กทรอนิกส์", "E-government services"),
        ("ศูนย์ปฏิบัติการเมืองอัจฉริยะ", "City operations centre"),
        ("ระบบรับเรื่องร้องเรียนออนไลน์", "Online citizen feedback"),
        ("ระบบเปิดเผยข้อมูลภาครัฐ", "Open data portal"),
    ),
}
