"""Validation: the contract's row checks (Great Expectations), quarantine and the dq tables."""

from pathlib import Path

# The Data Docs site's name, and where its index is: here, not in data_docs.py, so that saying where to look
# does not import Great Expectations (seconds at every `smartcity run`).
SITE_NAME = "local_site"
SITE_FOLDER = f"uncommitted/data_docs/{SITE_NAME}"  # inside GX's folder, <state>/gx/


def data_docs_index(state_dir: Path) -> Path:
    return state_dir / "gx" / SITE_FOLDER / "index.html"
