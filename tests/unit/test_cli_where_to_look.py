"""What `smartcity run` prints last (where the report, Data Docs and dbt docs are) costs no heavy import: it
imported Great Expectations for the name of the Data Docs site, about 5 s of every run."""

import json
import subprocess
import sys

PROGRAM = """
import json, sys
from pathlib import Path
from smartcity.cli import _where_to_look
from smartcity.config import load_settings

settings = load_settings({"SMARTCITY_LANDING": sys.argv[1], "SMARTCITY_WAREHOUSE": sys.argv[2]})
report = Path(sys.argv[3])
text = _where_to_look(settings, report=report)
heavy = {"great_expectations", "dbt", "airflow", "matplotlib"}
heavy = sorted({m.split(".")[0] for m in sys.modules} & heavy)
print(json.dumps({"text": text, "heavy": heavy}))
"""


def test_saying_where_to_look_imports_no_heavy_library_and_names_every_page(tmp_path):
    from smartcity.config import load_settings
    from smartcity.validation import data_docs_index

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    landing.mkdir()
    settings = load_settings({"SMARTCITY_LANDING": str(landing), "SMARTCITY_WAREHOUSE": str(warehouse)})
    pages = [
        tmp_path / "report.html",
        data_docs_index(settings.state_dir),
        settings.reports_dir / "dbt-docs" / "index.html",
    ]
    for page in pages:
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<html></html>", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(landing), str(warehouse), str(pages[0])],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    for name, page in zip(("monthly report", "Data Docs", "dbt docs"), pages, strict=True):
        assert f"  {name:<26}: {page}" in result["text"]
