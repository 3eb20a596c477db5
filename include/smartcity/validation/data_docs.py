"""Great Expectations Data Docs that work on a closed network, and that never run what a city sent.

Three things change GX's stock site:

- **Assets inside the site.** GX's pages load jQuery, Bootstrap, bootstrap-table, Font Awesome, Vega and a
  logo from public CDNs: offline, the status icons are blank, the "Failed only" filter does nothing and the
  logo is a broken image (that also calls home when online). `OfflineSiteStoreBackend` writes every page with
  those addresses replaced by copies vendored in `data_docs_assets/` (pinned versions, licences and checksums
  in its `VENDORED.md`), which it copies into the site's `static/vendor/`.
- **Escaped values.** GX writes the values of a failing row (obstacles, status, remarks, file names: anything
  a city sends) into table cells without escaping them, so `<script>` in a submission ran in the analyst's
  browser. `EscapingPageView` escapes every plain value before it reaches the page.
- **A list that needs no script.** GX's index draws its table with bootstrap-table; `OfflineSiteIndexBuilder`
  adds a plain HTML list of every validation result (status, suite, run) and every suite, with links.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
from html import escape
from pathlib import Path
from typing import Any

from great_expectations.data_context.store.tuple_store_backend import TupleFilesystemStoreBackend
from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder
from great_expectations.render.view import DefaultJinjaPageView
from jinja2 import pass_context

from smartcity.validation import SITE_FOLDER

_MODULE = "smartcity.validation.data_docs"
_PAGE_VIEW = {"module_name": _MODULE, "class_name": "EscapingPageView"}
SITE_CONFIG: dict[str, Any] = {
    "class_name": "SiteBuilder",
    "show_how_to_buttons": False,
    "store_backend": {
        "class_name": "OfflineSiteStoreBackend",
        "module_name": _MODULE,
        "base_directory": f"{SITE_FOLDER}/",
    },
    "site_index_builder": {
        "class_name": "OfflineSiteIndexBuilder",
        "module_name": _MODULE,
        # The index is rebuilt after every validation and reads the results it lists: without a cap the
        # cost of a run grows with every month ever validated.
        "validation_results_limit": 200,
    },
    "site_section_builders": {
        "expectations": {"view": _PAGE_VIEW},
        "validations": {"view": _PAGE_VIEW},
        "profiling": "None",  # we never profile
    },
}
log = logging.getLogger(__name__)
# Where the static list goes: before GX's own first section (the scripted tables).
_ANCHOR = '<div id="section-1"'

ASSETS_DIR = Path(__file__).with_name("data_docs_assets")
VENDOR_FOLDER = "static/vendor"  # inside the site
# Every address GX 1.x's templates load, and its vendored copy (relative to ASSETS_DIR).
CDN_ASSETS = {
    "https://cdn.jsdelivr.net/npm/vega@5": "vega-5.33.1/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite-5.23.0/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed-6.29.0/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free-6.6.0/css/all.min.css"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js-1.12.9/popper.min.js"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap-4.3.1/bootstrap.min.js"
    ),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap-4.3.1/bootstrap.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": (
        "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    # GX asks for the 1.19.0 stylesheet of the extension (two spellings): the 1.19.1 one is the same rules.
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": (
        "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": (
        "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css"
    ),
}
# GX's logo (with a tracking query string) from its own bucket: the copy GX ships in the site's static/images.
_REMOTE_IMAGE = re.compile(r"""https://great-expectations-web-assets\.s3[^"'\s>]*""")
# Subresource integrity and CORS mode name the CDN copies; a page opened from file:// has no origin to send.
_SRI = re.compile(r"""\s+(?:integrity="[^"]*"|crossorigin="[^"]*")""")
# Links to the site's own static folder, which GX counts wrong on some pages (the favicon of a result page).
_STATIC = re.compile(r"""(["'])(?:\./|(?:\.\./)+)?static/""")
# The newsletter invitation at the foot of GX's pages.
_NEWSLETTER = re.compile(r"<p>Stay current on everything GX with our newsletter.*?</p>", re.S)
# What would still load from outside: an element that fetches (script, link, img...) from a remote address.
_REMOTE_LOAD = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I
)


def offline_page(page: str, to_root: str) -> str:
    """`page` (a Data Docs page `to_root` away from the site's root, e.g. "../../") with every CDN address
    replaced by the vendored copy inside the site."""
    for url, vendored in CDN_ASSETS.items():
        page = page.replace(f'"{url}"', f'"{to_root}{VENDOR_FOLDER}/{vendored}"')
    page = _REMOTE_IMAGE.sub("static/images/logo-long.png", page)
    page = _STATIC.sub(lambda match: f"{match.group(1)}{to_root}static/", page)
    page = _NEWSLETTER.sub("", page)
    return _SRI.sub("", page)


def remote_loads(page: str) -> list[str]:
    """The elements of `page` that would still fetch something from outside (none, once offline_page ran)."""
    return [match.group(0) for match in _REMOTE_LOAD.finditer(page)]


def install_assets(site_root: Path) -> None:
    """Copy the vendored assets into `<site>/static/vendor/` (again whenever a copy differs in size)."""
    for source in ASSETS_DIR.rglob("*"):
        if not source.is_file() or source.suffix == ".md":
            continue
        target = site_root / VENDOR_FOLDER / source.relative_to(ASSETS_DIR)
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


class OfflineSiteStoreBackend(TupleFilesystemStoreBackend):
    """GX's file store for the site, writing each HTML page with its assets pointed inside the site."""

    def _set(self, key, value, **kwargs):
        relative = self._convert_key_to_filepath(key if isinstance(key, tuple) else key.to_tuple())
        if isinstance(value, str) and relative.endswith(".html"):
            depth = len(Path(relative).parts) - 1
            site_root = Path(self.full_base_directory)
            install_assets(site_root)
            value = offline_page(value, "../" * depth)
            leftovers = remote_loads(value)
            if leftovers:
                log.warning("Data Docs page %s still loads from outside: %s", relative, leftovers[:3])
        return super()._set(key, value, **kwargs)


# GX's own markup passed as a parameter value (the pass/fail icon, a JSON schema in <pre>).
_TRUSTED_PARAMS = frozenset({"html_success_icon", "formatted_json"})


class EscapingPageView(DefaultJinjaPageView):
    """GX's page view with every value escaped: plain strings in content blocks (the cells of the
    unexpected-values tables, where a submitted value lands as it was sent) and string-template parameters
    that GX leaves raw (the templates without styling)."""

    @pass_context  # as GX's own filter: Jinja hands it the template's context
    def render_content_block(
        self, jinja_context, content_block, index=None, content_block_id=None, render_to_markdown=False
    ):  # noqa: E501
        if isinstance(content_block, str):
            return html.escape(content_block, quote=False)
        if isinstance(content_block, list):
            content_block = [
                html.escape(str(item), quote=False) if _is_plain(item) else item for item in content_block
            ]
        return super().render_content_block(
            jinja_context, content_block, index, content_block_id, render_to_markdown
        )

    def render_string_template(self, template):
        if isinstance(template, dict) and "styling" not in template and template.get("params"):
            # GX escapes the parameters only on its styled path; do the same on the other one.
            template = {
                **template,
                "params": {
                    name: value
                    if name in _TRUSTED_PARAMS or not isinstance(value, str)
                    else html.escape(value, quote=False)
                    for name, value in template["params"].items()
                },
            }
        return super().render_string_template(template)


def _is_plain(item: Any) -> bool:
    return not isinstance(item, dict) and not hasattr(item, "to_json_dict") and item is not None


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
