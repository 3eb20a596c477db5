"""The Data Docs as an analyst opens them: the index, in a real headless Chromium on a machine without
internet, leads to the validation result that names the failing expectation and the rows it failed.

Needs Chromium (`make browser` installs it); without it this test fails and says so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from smartcity.config import EXPECTATIONS_DIR
from smartcity.pipeline import plan_run, run_audit_registry, run_pull, run_validate
from tests.component.landing import HEADER, make_landing, run_steps, settings_for

pytestmark = pytest.mark.e2e

MARCH = HEADER + (
    "AAA,A1,2024-03,50,1000,in_progress,,,2024-04-05T10:00:00+07:00\n"
    "ZZZ,A1,2024-03,50,1000,in_progress,,,2024-04-05T10:00:00+07:00\n"
)


def dump_dom(url: str, profile) -> str:
    """The DOM after Chromium loaded the page and ran its scripts."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(
            "Chromium is not installed, so the Data Docs cannot be checked in a browser: run `make browser` "
            "(apt-get install -y chromium) and run the tests again"
        )
    done = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
            "--dump-dom", url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )  # fmt: skip
    assert done.returncode == 0 and "<html" in done.stdout, (
        f"chromium failed on {url}:\n{done.stderr[-2000:]}"
    )
    return done.stdout


class _Rows(HTMLParser):
    """The rows of the index's static list, each as its texts and links in order."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_list = self._in_row = False

    def handle_starttag(self, tag, attrs):
        if tag == "section" and ("id", "smartcity-static-index") in attrs:
            self._in_list = True
        elif self._in_list and tag == "tr":
            self._in_row = True
            self.rows.append([])
        elif self._in_row and tag == "a":
            self.rows[-1].append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag == "section":
            self._in_list = False
        elif tag == "tr":
            self._in_row = False

    def handle_data(self, data):
        if self._in_row and data.strip():
            self.rows[-1].append(data.strip())


def text_of(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", dom)).split())


@pytest.fixture(scope="module")
def data_docs(tmp_path_factory):
    base = tmp_path_factory.mktemp("docs")
    settings = settings_for(
        make_landing(base / "landing", {"2024-03": {"city.csv": MARCH}}), base / "w.duckdb"
    )
    plan = plan_run(settings, "run-1")
    run_pull(settings, plan)
    run_audit_registry(settings, plan)
    run_validate(settings, plan)
    index = settings.state_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert index.exists()
    return index, base


def test_the_index_opens_in_chromium_and_leads_to_the_failing_expectation(data_docs):
    index, base = data_docs
    index_dom = dump_dom(index.as_uri(), base / "profile-index")
    parser = _Rows()
    parser.feed(index_dom)
    # [status, link, suite, run name, run time], newest first.
    failed = [row for row in parser.rows if row[:1] == ["Failed"] and "submission_rows" in row]
    assert failed, f"no failed submission_rows run listed in the index: {parser.rows}"
    assert any(row[:1] == ["Succeeded"] and "registry" in row for row in parser.rows), parser.rows

    page = urljoin(index.as_uri(), failed[0][1])
    text = text_of(dump_dom(page, base / "profile-page"))
    assert "Status: Failed" in text
    # The failing expectation, by column and rule, then the failing row by file, row and codes.
    match = re.search(r"city_in_registry .{0,200}?values must belong to this set: True", text)
    assert match, text[:3000]
    failing = text[match.start() : match.start() + 800]
    assert "1 unexpected values found" in failing
    assert "submissions/2024-03/city.csv" in failing and "ZZZ" in failing and "A1" in failing


# --- Offline, complete and safe: every page, every link, the icons, the filter, hostile values -----------

# Each payload changes the page's title if it ever runs.
SCRIPT = "<script>document.title='RAN-SCRIPT'</script>"
IMAGE = "<img src=x onerror=\"document.title='RAN-IMG'\">"
HOSTILE_NAME = "<img src=x onerror=document.title='RAN-NAME'>.csv"


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


HOSTILE = HEADER + (
    # obstacles, status and remarks carry markup (both rows are quarantined: BAD_STATUS, BAD_OBSTACLE).
    f"AAA,A1,2024-03,50,1000,{_csv_cell(IMAGE)},{_csv_cell(SCRIPT)},{_csv_cell(SCRIPT)},2024-04-05T10:00:00+07:00\n"
    f"AAA,A2,2024-03,50,1000,{_csv_cell(SCRIPT)},{_csv_cell(IMAGE)},{_csv_cell(IMAGE)},2024-04-05T10:00:00+07:00\n"
    f"{_csv_cell(SCRIPT)},A1,2024-03,50,1000,in_progress,,,2024-04-05T10:00:00+07:00\n"
)


@pytest.fixture(scope="module")
def hostile_docs(tmp_path_factory):
    """Data Docs of a whole run (every suite, the marts' too) of a month whose rows (and one file's name)
    carry script payloads."""
    base = tmp_path_factory.mktemp("hostile-docs")
    files = {
        "city.csv": HOSTILE,
        HOSTILE_NAME: HEADER + f"{_csv_cell(SCRIPT)},A1,2024-03,50,1000,,,,\n",
        "fine.csv": HEADER + "BBB,B1,2024-03,60,1000,in_progress,,,2024-04-05T10:00:00+07:00\n",
    }
    settings = settings_for(make_landing(base / "landing", {"2024-03": files}), base / "w.duckdb")
    run_steps(settings, "run-1")
    return settings.state_dir / "gx" / "uncommitted" / "data_docs" / "local_site"


def _pages(site) -> list:
    return sorted(site.rglob("*.html"))


def test_every_suite_has_a_page_and_every_link_resolves(hostile_docs):
    site = hostile_docs
    suites = {p.stem for p in EXPECTATIONS_DIR.glob("*.json")}  # every suite kept in git
    assert suites == {"marts", "registry", "submission_rows", "submission_warnings"}
    assert {p.stem for p in (site / "expectations").glob("*.html")} == suites
    dangling = []
    for page in _pages(site):
        for href in re.findall(r"""<a\b[^>]*\bhref="([^"#]+)""", page.read_text(encoding="utf-8")):
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            target = (page.parent / unescape(href).split("?")[0]).resolve()
            if not target.exists():
                dangling.append(f"{page.relative_to(site)} -> {href}")
    assert dangling == []


def test_every_page_renders_offline_with_icons_and_no_failed_or_external_request(hostile_docs):
    from tests.e2e.browser import chromium, open_page

    site = hostile_docs
    pages = _pages(site)
    assert len(pages) >= 9  # the index, 4 suite pages, 4 validation results
    with_icons = 0
    with chromium() as browser:
        for path in pages:
            with open_page(browser, path.as_uri()) as (page, visit):
                assert visit.problems == [], path
                # The stylesheet and the icon font came from the site itself: icons are drawn.
                widths = page.evaluate(
                    "[...document.querySelectorAll('i.fas')].map(i => i.getBoundingClientRect().width)"
                )
                if widths:
                    with_icons += 1
                    assert min(widths) > 0, path
                    loaded = page.evaluate(
                        "document.fonts.ready.then(() => [...document.fonts].filter("
                        "f => f.family.includes('Font Awesome') && f.status === 'loaded').length)"
                    )
                    assert loaded > 0, path
                assert page.evaluate("typeof jQuery === 'function' && typeof jQuery.fn.bootstrapTable"), path
                assert page.title().startswith("Data"), (path, page.title())  # no payload ran
                logo = page.evaluate("[...document.images].map(i => [i.src, i.naturalWidth])")
                assert all(src.startswith("file:") and width > 0 for src, width in logo), logo
    assert with_icons >= 4  # the index and every validation result show pass/fail icons


def test_the_failed_only_filter_hides_the_expectations_that_passed(hostile_docs):
    from tests.e2e.browser import chromium, open_page

    (result,) = (hostile_docs / "validations" / "submission_rows").rglob("*.html")

    def visible(css: str) -> str:
        return f"[...document.querySelectorAll('{css}')].filter(e => e.offsetParent !== null).length"

    with chromium() as browser, open_page(browser, result.as_uri()) as (page, visit):
        assert page.evaluate(visible("i.fa-check-circle")) > 0  # expectations that passed
        page.get_by_text("Failed Only").click()
        page.wait_for_function(f"{visible('i.fa-check-circle')} === 0", timeout=10_000)
        assert page.evaluate(visible("i.fa-times")) > 1  # the run's status and each failing expectation
        assert visit.problems == []


def test_submitted_markup_is_shown_as_text_and_never_runs(hostile_docs):
    """Issue 13, item 6: a value a city sends is escaped on every page (stored script injection)."""
    from tests.e2e.browser import chromium, open_page

    (result,) = (hostile_docs / "validations" / "submission_rows").rglob("*.html")
    html = result.read_text(encoding="utf-8")
    for payload in (SCRIPT, IMAGE, HOSTILE_NAME):
        assert payload not in html
    with chromium() as browser:
        for path in _pages(hostile_docs):
            with open_page(browser, path.as_uri()) as (page, _):
                assert not page.title().startswith("RAN-"), path
                assert (
                    page.evaluate('document.querySelectorAll(\'img[src="x"], img[src$="/x"]\').length') == 0
                )
        with open_page(browser, result.as_uri()) as (page, _):
            text = page.inner_text("body")
    # The analyst reads the values as they were sent.
    assert "<script>document.title='RAN-SCRIPT'" in text
    assert "onerror" in text and "RAN-IMG" in text
    assert "RAN-NAME" in text  # the file name, in the rows' identification
