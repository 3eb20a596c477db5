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

from smartcity.pipeline import plan_run, run_pull, run_validate
from tests.component.landing import HEADER, make_landing, settings_for

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
