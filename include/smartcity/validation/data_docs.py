"""Great Expectations Data Docs that work on a closed network.

GX's index page lists the validation results in a table drawn by jQuery and bootstrap-table loaded from
public CDNs: offline, the index is an empty page. `OfflineSiteIndexBuilder` builds GX's index as usual and
adds a plain HTML list of every validation result (status, suite, run) and every suite, with links to their
pages, which need no script. The result pages themselves are static HTML already.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

SITE_NAME = "local_site"
SITE_CONFIG: dict[str, Any] = {
    "class_name": "SiteBuilder",
    "show_how_to_buttons": False,
    "store_backend": {
        "class_name": "TupleFilesystemStoreBackend",
        "base_directory": "uncommitted/data_docs/local_site/",
    },
    "site_index_builder": {
        "class_name": "OfflineSiteIndexBuilder",
        "module_name": "smartcity.validation.data_docs",
        # The index is rebuilt after every validation and reads the results it lists: without a cap the
        # cost of a run grows with every month ever validated.
        "validation_results_limit": 200,
    },
}
log = logging.getLogger(__name__)
# Where the static list goes: before GX's own first section (the scripted tables).
_ANCHOR = '<div id="section-1"'


class OfflineSiteIndexBuilder(DefaultSiteIndexBuilder):
    def build(self, skip_and_clean_missing=True, build_index: bool = True):
        url, links = super().build(skip_and_clean_missing, build_index)
        if links is None:
            return url, links
        try:
            page = self.view_class.render(
                self.renderer_class.render(links),
                data_context_id=self.data_context_id,
                show_how_to_buttons=self.show_how_to_buttons,
            )
        except Exception:  # GX itself logs and goes on when its index cannot be rendered; so do we
            log.exception("Data Docs: the index page could not be rendered again with its static list")
            return url, links
        return self.target_store.write_index_page(with_static_index(page, links)), links


def with_static_index(page: str, links: dict[str, Any]) -> str:
    """The index page with a script-free list of the validation results and suites inserted."""
    section = static_index(links)
    if _ANCHOR in page:
        return page.replace(_ANCHOR, section + _ANCHOR, 1)
    return page.replace("</body>", section + "</body>", 1)


def static_index(links: dict[str, Any]) -> str:
    validations = sorted(
        links.get("validations_links", []), key=lambda link: str(link["run_time"]), reverse=True
    )
    rows = "".join(
        '<tr class="{css}"><td>{status}</td><td><a href="{href}">{suite}</a></td><td>{run}</td>'
        "<td>{time}</td></tr>".format(
            css="table-danger" if not link["validation_success"] else "",
            status="Failed" if not link["validation_success"] else "Succeeded",
            href=escape(link["filepath"], quote=True),
            suite=escape(link["expectation_suite_name"]),
            run=escape(str(link["run_name"])),
            time=escape(str(link["run_time"])),
        )
        for link in validations
    )
    suites = "".join(
        '<li><a href="{href}">{suite}</a></li>'.format(
            href=escape(link["filepath"], quote=True), suite=escape(link["expectation_suite_name"])
        )
        for link in sorted(
            links.get("expectations_links", []), key=lambda link: link["expectation_suite_name"]
        )
    )
    return (
        '<section id="smartcity-static-index" class="container-fluid mb-4">'
        "<h3>Validation results</h3>"
        "<p>Newest first. Open a result to see each failing expectation with examples of the rows it "
        "failed.</p>"
        '<table class="table table-sm"><thead><tr><th>Status</th><th>Suite</th><th>Run</th>'
        f"<th>Run time</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<h3>Expectation suites</h3><ul>{suites}</ul>"
        "</section>"
    )
