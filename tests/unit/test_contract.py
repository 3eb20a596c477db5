"""Every copy of the contract's vocabulary agrees with include/smartcity/contract.py: the Great Expectations
suites, dbt's accepted_values and seeds, the value parsers, the Thai wording and the documentation. A code
added in one place and not the others fails here."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import yaml

from smartcity import contract, normalize
from smartcity.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR, REPO_ROOT
from smartcity.ingestion import registry
from smartcity.reporting import thai_messages

# Which contract set a column's allowed values must equal, wherever the column is tested.
VOCABULARY = {
    "status": set(contract.STATUS_CODES),
    "obstacle_code": set(contract.OBSTACLE_CODES),
    "dimension_code": set(contract.DIMENSION_CODES),
    "peer_group": set(contract.PEER_GROUPS),
    "operator_type": set(contract.OPERATOR_TYPES),
    "city_type": set(contract.CITY_TYPES),
    "funding_source": set(contract.FUNDING_SOURCES),
    "reason_code": set(contract.REASON_CODES),
    "warning_code": set(contract.WARNING_CODES),
}


def _accepted_values() -> list[tuple[str, str, set[str]]]:
    """(YAML file, column, values) of every accepted_values test of the dbt project."""
    found = []
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models", []) + document.get("sources", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []) or []:
                    if isinstance(test, dict) and "accepted_values" in test:
                        spec = test["accepted_values"]
                        values = (spec.get("arguments") or spec)["values"]
                        found.append((path.name, column["name"], {str(v) for v in values}))
    return found


def test_every_dbt_accepted_values_test_is_a_contract_set():
    checked = _accepted_values()
    assert checked, "the dbt project has accepted_values tests"
    for file, column, values in checked:
        if column == "status" and values <= set(contract.CITY_STATUSES):
            assert values <= set(contract.CITY_STATUSES), (file, column)
            continue
        if column == "reporting_status":
            continue  # the bi schema's own labels (on_time, late, no_report), not a contract vocabulary
        assert column in VOCABULARY, f"{file}: {column} has accepted_values but no contract set"
        assert values == VOCABULARY[column], (file, column, values ^ VOCABULARY[column])


def _suite(name: str) -> dict:
    return json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_the_row_suite_gives_the_contracts_reasons_in_the_contracts_order():
    suite = _suite("submission_rows")
    assert tuple(suite["meta"]["reason_order"]) == contract.REASON_CODES
    used = {e["meta"]["reason_code"] for e in suite["expectations"]}
    assert used == set(contract.REASON_CODES)  # every reason has a rule, and no rule has another reason
    sets = {
        e["kwargs"]["column"]: set(e["kwargs"]["value_set"])
        for e in suite["expectations"]
        if "value_set" in e["kwargs"]
        and e["kwargs"]["value_set"] != [True]
        and e["kwargs"]["value_set"] != [False]
    }
    assert sets == {"status": set(contract.STATUS_CODES)}


def test_the_warning_suite_gives_the_contracts_warnings():
    assert {e["meta"]["warning_code"] for e in _suite("submission_warnings")["expectations"]} == set(
        contract.WARNING_CODES
    )


def test_the_registry_suite_checks_the_contracts_registry_sets():
    sets = {
        e["kwargs"]["column"]: set(e["kwargs"]["value_set"])
        for e in _suite("registry")["expectations"]
        if "value_set" in e["kwargs"]
    }
    for column, values in sets.items():
        expected = set(contract.CITY_STATUSES) if column == "status" else VOCABULARY[column]
        assert values == expected, column


@pytest.mark.parametrize(
    ("seed", "vocabulary"), [("obstacles.csv", contract.OBSTACLES), ("dimensions.csv", contract.DIMENSIONS)]
)
def test_dbt_seeds_hold_the_contracts_codes_and_names(seed, vocabulary):
    with (DBT_PROJECT_DIR / "seeds" / seed).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    code = "obstacle_code" if seed == "obstacles.csv" else "dimension_code"
    assert {row[code]: (row["name_en"], row["name_th"]) for row in rows} == dict(vocabulary)


def test_the_parsers_and_the_registry_use_the_contracts_sets():
    assert normalize.SUBMISSION_COLUMNS == contract.SUBMISSION_COLUMNS
    assert dict(normalize.THAI_HEADER_ALIASES) == dict(contract.THAI_HEADER_ALIASES)
    assert normalize.STATUS_CODES == contract.STATUS_CODES
    assert normalize.OBSTACLE_CODES == contract.OBSTACLE_CODES
    assert registry.DIMENSIONS == contract.DIMENSION_CODES
    assert registry.CITY_STATUSES == contract.CITY_STATUSES
    assert registry.OPERATOR_TYPES == contract.OPERATOR_TYPES
    assert registry.MAX_AMOUNT_THB == contract.MAX_AMOUNT_THB


def test_every_reason_and_warning_has_its_thai_wording():
    assert set(thai_messages.REASONS) == set(contract.REASON_CODES)
    assert set(thai_messages.WARNINGS) == set(contract.WARNING_CODES)


def test_the_data_contract_document_names_every_code():
    document = (REPO_ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    for code in (*contract.REASON_CODES, *contract.WARNING_CODES, *contract.REJECTED_FILE_CODES):
        assert f"`{code}`" in document, code
    order = " ".join(document.split())  # the sentence may wrap anywhere
    reasons = re.findall(r"`([A-Z_]+)`", order[order.index("first reason in this order") :][:600])
    assert tuple(reasons[: len(contract.REASON_CODES)]) == contract.REASON_CODES


def test_the_landing_rules_codes_are_the_contracts():
    rules_source = (REPO_ROOT / "include" / "smartcity" / "ingestion" / "sources" / "rules.py").read_text(
        encoding="utf-8"
    )
    used = set(re.findall(r'"([A-Z_]{6,})"', rules_source))
    assert used <= set(contract.REJECTED_FILE_CODES)
    assert Path(REPO_ROOT / "include" / "smartcity" / "contract.py").is_file()


def test_the_amount_cap_is_the_contracts_in_the_row_suite():
    caps = [
        e["kwargs"]["max_value"]
        for e in _suite("submission_rows")["expectations"]
        if e["kwargs"].get("column") == "spend_to_date_thb" and "max_value" in e["kwargs"]
    ]
    assert caps == [contract.MAX_AMOUNT_THB]
