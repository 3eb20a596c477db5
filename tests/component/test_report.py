"""The monthly report's queries and page, on a small published warehouse made here with the shapes of the
real marts (two months, three cities), so every figure can be checked by hand. The real sample, in a real
browser, is tests/e2e/test_report_browser.py."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest

from smartcity.reporting import charts
from smartcity.reporting.charts import CHARTS, write_index_ranking_png
from smartcity.reporting.page import render_report
from smartcity.reporting.report import build_report
from smartcity.reporting.report_data import ReportError, read_report_data
from tests.component.landing import settings_for

FEBRUARY, MARCH = date(2024, 2, 1), date(2024, 3, 1)

WAREHOUSE_SQL = """
create type money_thb as decimal(18, 2);
create schema marts; create schema dq; create schema meta;
create table meta.publication as select 'run-7' as run_id,
    timestamptz '2024-04-20 06:00:00+07' as published_at, date '2024-03-01' as report_month,
    ['2024-03'] as months_processed;
create table marts.dim_cities as from (values
    ('AAA', 'เมืองเอ', 'City A'), ('BBB', 'เมืองบี', 'City B'), ('EVL', 'เมืองอี', '<b>Evil</b> & Co'),
    ('CCC', 'เมืองซี', 'City C')
) t(city_code, name_th, name_en);
create table marts.program_summary_monthly as from (values
    (date '2024-02-01', 3, 10, 1, 10.0, 20.0, 40.0, 50.0, 3000000.00::money_thb, 600000.00::money_thb),
    (date '2024-03-01', 3, 10, 2, 20.0, 25.5, 50.0, 51.0, 3000000.00::money_thb, 750000.00::money_thb)
) t(month, certified_cities, projects, completed_projects, completed_projects_pct, progress_pct,
    planned_progress_pct, progress_vs_plan_pct, investment_value_thb, spend_to_date_thb);
create table marts.program_headline_monthly as from (values
    (date '2024-02-01', 3, 10, 1, 10.0, 20.0, 40.0, 50.0, 3000000.00::money_thb, 600000.00::money_thb,
        10, 10, 0, 1, 1, 0, 2, 20.0, null),
    (date '2024-03-01', 3, 10, 2, 20.0, 25.5, 50.0, 51.0, 3000000.00::money_thb, 750000.00::money_thb,
        14, 12, 2, 1, 1, 1, 1, 25.0, 5.5)
) t(month, certified_cities, projects, completed_projects, completed_projects_pct, progress_pct,
    planned_progress_pct, progress_vs_plan_pct, investment_value_thb, spend_to_date_thb, rows_received,
    rows_accepted, rows_quarantined, files_rejected, cities_on_time, cities_late, cities_no_report, spend_pct,
    progress_change_pp);
create table marts.city_progress_monthly as from (values
    ('AAA', date '2024-03-01', 1, 40.0, 80.0), ('BBB', date '2024-03-01', 2, 20.0, 40.0),
    ('EVL', date '2024-03-01', 3, 10.0, 20.0), ('AAA', date '2024-02-01', 1, 30.0, 60.0)
) t(city_code, month, rank_progress, progress_pct, progress_vs_plan_pct);
create table marts.city_index_monthly as from (values
    ('BBB', date '2024-03-01', 'province', 20.0, 40.0, 70.0, 100.0, 50.0, 41.0, true, null, 1, 1, 1, 1.0, 1,
        2, 1, 3, 0, []),
    ('AAA', date '2024-03-01', 'city', 40.0, 80.0, 60.0, 100.0, 70.0, 55.0, true, null, 1, 1, 2, 0.85, 1,
        1, 1, 2, 0, []),
    ('EVL', date '2024-03-01', 'city', 10.0, 20.0, 50.0, 50.0, 30.0, 22.0, true, null, 2, 1, 2, 0.15, 1,
        3, 2, 3, 1, ['plan_quality']),
    ('CCC', date '2024-03-01', 'city', 0.0, 0.0, 65.0, 100.0, 0.0, 31.05, false, 'no_active_budget', null,
        null, null, null, null, null, null, null, 0, []),
    ('AAA', date '2024-02-01', 'city', 30.0, 60.0, 60.0, 100.0, 70.0, 50.0, true, null, 1, 1, 1, 1.0, 1,
        1, 1, 1, 0, [])
) t(city_code, month, peer_group, progress, schedule, plan_quality, reporting, coverage, index_score, ranked,
    not_ranked_reason, rank_peer_group, rank_peer_group_p05, rank_peer_group_p95, prob_first_in_peer_group,
    tier, rank, rank_p05, rank_p95, months_since_report, imputed_pillars);
create table marts.index_dimension_leaders as from (values
    ('MOB', date '2024-03-01', 'AAA', 'city', 'Smart Mobility', 'การเดินทางและขนส่งอัจฉริยะ', 61.5, 1),
    ('ENV', date '2024-03-01', 'BBB', 'province', 'Smart Environment', 'สิ่งแวดล้อมอัจฉริยะ', 35.0, 1),
    ('ENV', date '2024-03-01', 'EVL', 'city', 'Smart Environment', 'สิ่งแวดล้อมอัจฉริยะ', 12.0, 2)
) t(dimension_code, month, city_code, peer_group, dimension_name_en, dimension_name_th, progress,
    rank_in_dimension);
create table marts.dim_dimensions as from (values
    ('ENV', 'Smart Environment', 'สิ่งแวดล้อมอัจฉริยะ', 1), ('MOB', 'Smart Mobility', 'การเดินทางและขนส่งอัจฉริยะ', 3)
) t(dimension_code, name_en, name_th, sort_order);
create table marts.investment_by_dimension_monthly as from (values
    ('ENV', date '2024-03-01', 'Smart Environment', 'สิ่งแวดล้อมอัจฉริยะ', 4, 1, 1000000.00::money_thb,
        250000.00::money_thb, 30.0),
    ('MOB', date '2024-03-01', 'Smart Mobility', 'การเดินทางและขนส่งอัจฉริยะ', 6, 1, 2000000.00::money_thb,
        500000.00::money_thb, 23.25)
) t(dimension_code, month, dimension_name_en, dimension_name_th, projects, completed_projects,
    investment_value_thb, spend_to_date_thb, progress_pct);
create table marts.obstacle_ranking_monthly as from (values
    (date '2024-03-01', 'POLICY', 'Policy changes', 'การเปลี่ยนแปลงนโยบาย', 2, 2),
    (date '2024-03-01', 'BUDGET', 'Budget constraints', 'ข้อจำกัดด้านงบประมาณ', 5, 1)
) t(month, obstacle_code, obstacle_name_en, obstacle_name_th, projects, rank);
create table dq.city_quality_monthly as from (values
    ('AAA', date '2024-03-01', 10, 9, 0, 1, true, true, timestamptz '2024-04-10 09:00:00+07'),
    ('BBB', date '2024-03-01', 4, 2, 1, 1, false, true, timestamptz '2024-04-18 09:00:00+07'),
    ('EVL', date '2024-03-01', 0, 0, 0, 0, false, true, null),
    ('ZZZ', date '2024-03-01', 0, 0, 0, 0, false, false, null),
    ('AAA', date '2024-02-01', 10, 10, 0, 0, true, true, timestamptz '2024-03-10 09:00:00+07')
) t(city_code, month, rows_received, rows_accepted, rows_superseded, rows_quarantined, on_time, is_certified,
    first_submitted_at);
create table dq.quarantine as from (values
    ('AAA', 'BAD_NUMBER', date '2024-03-01'), ('BBB', 'DUPLICATE', date '2024-03-01'),
    ('AAA', 'BAD_MONTH', date '2024-02-01')
) t(city_code, reason_code, received_month);
create table dq.missing_submissions as from (values
    ('BBB', date '2024-03-01', timestamptz '2024-04-15 23:59:59+07', date '2024-02-01', 1, 3),
    ('EVL', date '2024-03-01', timestamptz '2024-04-15 23:59:59+07', null, 0, 0)
) t(city_code, month, deadline, last_month_reported, files_received, rows_accepted);
create table dq.rejected_files as from (values
    ('submissions/2024-03/<img src=x onerror=alert(1)>.pdf', 'files of type .pdf are not accepted',
        date '2024-03-01'),
    ('submissions/2024-02/x.json', 'not valid JSON', date '2024-02-01')
) t(source_file, reason, received_month);
"""


@pytest.fixture
def settings(tmp_path):
    settings = settings_for(tmp_path / "landing", tmp_path / "bi" / "warehouse.duckdb")
    settings.warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(settings.warehouse))
    try:
        con.execute(WAREHOUSE_SQL)
    finally:
        con.close()
    return settings


def test_the_latest_published_month_by_default_with_its_headline(settings):
    data = read_report_data(settings.warehouse)
    assert data.month == MARCH
    assert data.publication["run_id"] == "run-7"
    assert [row["month"] for row in data.summary] == [FEBRUARY, MARCH]
    h = data.headline
    assert h["progress_pct"] == 25.5 and h["progress_change_pp"] == pytest.approx(5.5)
    assert h["investment_value_thb"] == 3_000_000 and h["spend_pct"] == pytest.approx(25.0)
    assert (h["certified_cities"], h["completed_projects"], h["projects"]) == (3, 2, 10)
    # The headline is marts.program_headline_monthly's row (its figures are worked out from the same cities by
    # the dbt unit test headline_counts_the_months_rows_and_cities, dbt_project/models/marts/_marts.yml).
    assert (h["rows_received"], h["rows_accepted"], h["rows_quarantined"]) == (14, 12, 2)
    assert h["files_rejected"] == 1
    # BBB reported after the deadline, EVL not at all; ZZZ is not certified and sent nothing.
    assert (h["cities_late"], h["cities_no_report"]) == (1, 1)
    statuses = {q["city_code"]: (q["reporting_status"], q["quarantine_reasons"]) for q in data.quality}
    assert statuses == {
        "AAA": ("on_time", ["BAD_NUMBER × 1"]),
        "BBB": ("late", ["DUPLICATE × 1"]),
        "EVL": ("no_report", []),
    }


def test_each_section_is_in_the_order_an_analyst_reads_it(settings):
    data = read_report_data(settings.warehouse)
    # The index: peer group by peer group (city-based first), by rank within the group; the cities not
    # ranked apart, with their reason; each dimension's leader, in the dimensions' order.
    assert [(r["peer_group"], r["rank_peer_group"], r["city_code"], r["name_th"]) for r in data.ranking] == [
        ("city", 1, "AAA", "เมืองเอ"),
        ("city", 2, "EVL", "เมืองอี"),
        ("province", 1, "BBB", "เมืองบี"),
    ]
    assert [(r["city_code"], r["not_ranked_reason"]) for r in data.not_ranked] == [
        ("CCC", "no_active_budget")
    ]
    assert [(r["dimension_code"], r["city_code"]) for r in data.dimension_leaders] == [
        ("ENV", "BBB"),
        ("MOB", "AAA"),
    ]
    assert [r["dimension_code"] for r in data.dimensions] == ["MOB", "ENV"]  # biggest investment first
    assert [r["obstacle_code"] for r in data.obstacles] == ["BUDGET", "POLICY"]
    # Problems first: the city with no report, then the late one, then the rest; a city neither certified nor
    # reporting is left out.
    assert [r["city_code"] for r in data.quality] == ["EVL", "BBB", "AAA"]
    assert [r["city_code"] for r in data.top_progress] == ["AAA", "BBB", "EVL"]


def test_an_earlier_month_shows_the_figures_as_they_were(settings):
    data = read_report_data(settings.warehouse, FEBRUARY)
    assert [row["month"] for row in data.summary] == [FEBRUARY]
    assert data.headline["progress_change_pp"] is None  # no month before it
    assert [r["city_code"] for r in data.ranking] == ["AAA"]
    assert data.headline["files_rejected"] == 1


def test_a_month_the_warehouse_does_not_cover_or_no_warehouse_is_a_clear_error(settings, tmp_path):
    with pytest.raises(ReportError, match="no figures for 2023-01 .it covers 2024-02 to 2024-03"):
        read_report_data(settings.warehouse, date(2023, 1, 1))
    with pytest.raises(ReportError, match="no published warehouse"):
        read_report_data(tmp_path / "nowhere" / "warehouse.duckdb")


def test_the_report_is_one_self_contained_bilingual_file(settings):
    path = build_report(settings)
    assert path == settings.state_dir / "reports" / "monthly" / "2024-03" / "report.html"
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
    html = path.read_text(encoding="utf-8")
    assert len(re.findall(r"<svg class=\"chart-svg\" data-chart=\"(\w+)\"", html)) == len(CHARTS)
    assert "<script" not in html and "<link" not in html
    assert "http" not in re.sub(r"<svg.*?</svg>", "", html, flags=re.S)  # no address outside the charts
    assert not re.search(r"""href=["'](?!#)""", html)  # and inside them, links only to their own elements
    for thai, english in (
        ("ตัวเลขสำคัญ", "Headline figures"),
        ("อันดับดัชนีความสามารถในการแข่งขันของเมืองอัจฉริยะ", "Smart City Competitiveness Index ranking"),
        ("การลงทุนจำแนกตามมิติเมืองอัจฉริยะ", "Investment by smart-city dimension"),
        ("อันดับอุปสรรคของโครงการ", "Obstacles ranking"),
        ("คุณภาพข้อมูลรายเมือง", "Data quality by city"),
    ):
        assert f'<span class="th" lang="th">{thai}</span> <span class="en" lang="en">{english}</span>' in html
    assert "มีนาคม 2567" in html and "March 2024" in html
    assert "25.50 %" in html and ">3.00<" in html  # progress and investment in million baht
    assert "การเดินทางและขนส่งอัจฉริยะ" in html and "ข้อจำกัดด้านงบประมาณ" in html
    # Registry text is escaped, never markup.
    assert "<b>Evil</b>" not in html and "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in html
    # EVL's plan quality was imputed: starred in the ranking table, where its score, band within the group,
    # chance of leading and overall rank (band) stand in that order.
    evil = html[html.index("&lt;b&gt;Evil", html.index('id="table-ranking"')) :]
    assert re.search(r">22\.00<.*?>1–2<.*?>15 %<.*?>3 \(2–3\)<.*?>50\.0\*<", evil, flags=re.S)
    # Peer groups first: one table per group, in the order of the official index.
    assert html.index('id="table-ranking-city"') < html.index('id="table-ranking-province"')
    not_ranked = html[html.index('id="table-not-ranked"') :]
    assert "City C" in not_ranked and "no active budget" in not_ranked
    leaders = html[html.index('id="table-dimension-leaders"') :]
    assert leaders.index("Smart Environment") < leaders.index("City B") < leaders.index("Smart Mobility")


def test_the_page_embeds_a_subset_of_its_thai_font(settings):
    from fontTools.ttLib import TTFont

    html = build_report(settings).read_text(encoding="utf-8")
    faces = re.findall(r"@font-face \{ font-family: 'Sarabun';.*?base64,([A-Za-z0-9+/=]+)\)", html)
    assert len(faces) == 4  # Thai and Latin, regular and bold
    import base64
    import io

    covered = set()
    for face in faces:
        font = TTFont(io.BytesIO(base64.b64decode(face)))
        covered |= set(font.getBestCmap())
        assert "Sarabun" in font["name"].getDebugName(1)
        assert len(font.getBestCmap()) < 200  # a subset, not the whole font
    text = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    thai = {ord(c) for c in text if "\u0e00" <= c <= "\u0e7f"}
    assert thai and thai <= covered  # every Thai character of the page is drawn by the embedded font
    assert 'font-family: "Sarabun"' in html  # and the page asks for it first


def test_late_no_report_and_the_reasons_are_shown_per_city_and_values_escaped(settings):
    html = build_report(settings).read_text(encoding="utf-8")
    table = html[html.index('id="table-quality"') : html.index("</table>", html.index('id="table-quality"'))]
    assert re.search(r'id="quality-BBB" data-status="late".*?ล่าช้า.*?late.*?DUPLICATE × 1', table, re.S)
    assert re.search(r'id="quality-EVL" data-status="no_report".*?ไม่รายงาน.*?no report', table, re.S)
    assert 'id="quality-AAA" data-status="on_time"' in table and "BAD_NUMBER × 1" in table
    # A file name a city chose reaches the page as text, never as markup.
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in html and "files of type .pdf are not accepted" in html


def test_without_a_thai_font_the_charts_keep_english_labels_and_the_page_keeps_thai(settings, monkeypatch):
    monkeypatch.setattr(charts, "thai_font", lambda: None)
    data = read_report_data(settings.warehouse)
    assert charts._label("Planned", "ตามแผน") == "Planned"
    html = render_report(data)
    assert "ป้ายกำกับในแผนภูมิเป็นภาษาอังกฤษ" in html  # says where the Thai names are
    assert "ตามแผน" in html  # in the HTML captions and tables


def test_the_ranking_chart_is_saved_as_png(settings, tmp_path):
    path = write_index_ranking_png(settings.warehouse, tmp_path / "img" / "index-ranking.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_charts_are_the_same_for_the_same_data(settings):
    data = read_report_data(settings.warehouse)
    assert charts.chart_svg("ranking", data) == charts.chart_svg("ranking", data)


def test_the_cities_with_nothing_accepted_by_the_deadline_are_listed(settings):
    data = read_report_data(settings.warehouse)
    # The silent certified city first (no file), then the late one: the cities late or with no report.
    assert [(r["city_code"], r["files_received"]) for r in data.missing] == [("EVL", 0), ("BBB", 1)]
    assert len(data.missing) == data.headline["cities_late"] + data.headline["cities_no_report"]
    page = render_report(data)
    assert 'id="table-missing"' in page and "(EVL)" in page.split('id="table-missing"')[1]
