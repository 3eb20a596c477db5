"""The monthly report of the shipped sample, opened in a real headless Chromium: the browser's DOM has the
five charts as inline SVG, every heading in Thai and English and the March 2024 headline; the page loads
nothing from outside; and a screenshot of it is a real, non-blank page.

Chromium is required, not optional: `make browser` installs it (`apt-get install -y chromium`)."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from smartcity.reporting.charts import CHARTS
from smartcity.reporting.report import build_report

pytestmark = pytest.mark.e2e

THAI = re.compile(r"[\u0e00-\u0e7f]")
HEADINGS = {
    "headline-heading": ("ตัวเลขสำคัญ", "Headline figures"),
    "progress-heading": (
        "ความคืบหน้าของแผนงานเทียบกับแผนตามช่วงเวลา",
        "Programme progress against plan over time",
    ),
    "ranking-heading": (
        "อันดับดัชนีความสามารถในการแข่งขันของเมืองอัจฉริยะ",
        "Smart City Competitiveness Index ranking",
    ),
    "dimensions-heading": ("การลงทุนจำแนกตามมิติเมืองอัจฉริยะ", "Investment by smart-city dimension"),
    "obstacles-heading": ("อันดับอุปสรรคของโครงการ", "Obstacles ranking"),
    "quality-heading": ("คุณภาพข้อมูลรายเมือง", "Data quality by city"),
}


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if not found:
        pytest.fail("Chromium is missing: run `make browser` (it installs the Debian package `chromium`)")
    return found


def _run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


class _Page(HTMLParser):
    """What the test reads from the browser's DOM: headings by id and language, chart SVGs, element texts."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.headings: dict[str, dict[str, str]] = {}
        self.svgs: list[dict] = []
        self.texts_by_id: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "svg":
            parents = [(t, a) for t, a in self.stack]
            figure = next((a for t, a in reversed(parents) if t == "figure"), None)
            self.svgs.append({**attributes, "figure": figure})
        if tag not in ("meta", "br", "img", "link", "input", "hr", "path", "use", "rect", "line", "circle"):
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag):
        for position in range(len(self.stack) - 1, -1, -1):
            if self.stack[position][0] == tag:
                del self.stack[position:]
                break

    def handle_data(self, data):
        for _, attributes in self.stack:
            if "id" in attributes:
                self.texts_by_id[attributes["id"]] = self.texts_by_id.get(attributes["id"], "") + data
        heading = next((a["id"] for t, a in self.stack if t in ("h1", "h2", "h3") and "id" in a), None)
        lang = next((a.get("lang") for _, a in reversed(self.stack) if a.get("lang")), None)
        if heading and lang and data.strip():
            entry = self.headings.setdefault(heading, {})
            entry[lang] = (entry.get(lang, "") + " " + data.strip()).strip()


@pytest.fixture(scope="module")
def sample_report(sample_run, tmp_path_factory):
    """The report of the shared sample run (tests/e2e/conftest.py)."""
    path = build_report(sample_run.settings)
    return {"settings": sample_run.settings, "path": path, "base": tmp_path_factory.mktemp("report")}


def test_the_report_is_written_where_analysts_find_it_and_needs_nothing_from_outside(sample_report):
    settings, path = sample_report["settings"], sample_report["path"]
    assert path == settings.state_dir / "reports" / "monthly" / "2024-03" / "report.html"
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.IGNORECASE)
    assert "@import" not in html
    assert not [p for p in path.parent.iterdir() if p.name != "report.html"]  # one file, no partial left


def test_chromium_renders_the_charts_both_languages_and_the_headline(sample_report, tmp_path):
    done = _run_chromium(["--dump-dom", sample_report["path"].as_uri()], tmp_path / "profile")
    page = _Page()
    page.feed(done.stdout)

    charts = [svg for svg in page.svgs if svg.get("data-chart")]
    assert sorted(svg["data-chart"] for svg in charts) == sorted(CHARTS)
    assert all(svg["figure"] is not None and svg["figure"].get("class") == "chart" for svg in charts)
    assert len(page.svgs) == len(CHARTS)  # nothing else draws an SVG

    title = page.headings["title"]
    assert title["th"].startswith("รายงาน") and "มีนาคม 2567" in title["th"]
    assert title["en"] == "Smart City programme monthly report, March 2024"
    for heading, (thai, english) in HEADINGS.items():
        assert page.headings[heading] == {"th": thai, "en": english}, heading
        assert THAI.search(page.headings[heading]["th"]) and not THAI.search(page.headings[heading]["en"])

    # The headline of March 2024 (the programme's reported figures).
    assert "27.57 %" in page.texts_by_id["headline-progress"]
    assert "6,842.97" in page.texts_by_id["headline-investment"]
    assert "30" in page.texts_by_id["headline-cities"]
    assert "Overall progress" in page.texts_by_id["headline-progress"]
    assert "ความคืบหน้าโดยรวม" in page.texts_by_id["headline-progress"]
    # Thai and English names of the dimensions, obstacles and cities are in the tables.
    dimensions = page.texts_by_id["table-dimensions"]
    assert "Smart Mobility" in dimensions and "การเดินทางและขนส่งอัจฉริยะ" in dimensions
    assert "ข้อจำกัดด้านงบประมาณ" in page.texts_by_id["table-obstacles"]
    ranking = page.texts_by_id["table-ranking"]
    assert ranking.index("Samyan Smart City") < ranking.index("Khlong Phadung")


def test_a_screenshot_of_the_report_is_a_real_page(sample_report, tmp_path):
    screenshot = tmp_path / "r.png"
    _run_chromium(
        [f"--screenshot={screenshot}", "--window-size=1200,2400", sample_report["path"].as_uri()],
        tmp_path / "profile",
    )
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 2400)
    import matplotlib.image

    pixels = matplotlib.image.imread(str(screenshot))
    # Not blank: many distinct colours (text, the charts' teal and grey), mostly a white page.
    assert len({tuple(p) for p in pixels[::7, ::7, :3].reshape(-1, 3).round(2).tolist()}) > 50
    assert pixels[..., :3].mean() > 0.8
    keep = sample_report["base"] / "report-screenshot.png"
    shutil.copy(screenshot, keep)
    print(f"screenshot: {keep}")


def test_thai_is_drawn_by_the_embedded_font_and_nothing_is_fetched(sample_report):
    """Chromium reports which font actually drew each piece of text: Thai headings and table cells come from
    the Sarabun embedded in the page, not from a font this machine happens to have."""
    from tests.e2e.browser import chromium, open_page

    with chromium() as browser, open_page(browser, sample_report["path"].as_uri()) as (page, visit):
        assert visit.problems == []
        page.evaluate("document.fonts.ready")
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        for selector in ("#title .th", "#quality-heading .th", "#table-quality tbody tr td span[lang=th]"):
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
            assert node, selector
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            drawn = {font["familyName"]: font.get("isCustomFont") for font in fonts}
            assert drawn.get("Sarabun") is True, (selector, fonts)
        statuses = page.evaluate(
            "[...document.querySelectorAll('#table-quality tbody tr')].map(r => r.dataset.status)"
        )
        assert set(statuses) <= {"on_time", "late", "no_report"} and "on_time" in statuses
