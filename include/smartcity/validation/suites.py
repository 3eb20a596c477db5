"""Run a Great Expectations suite kept in git (expectations/<name>.json) on a DataFrame.

GX is the engine of the row checks: every failing expectation reports the indices of the rows
it failed, and its `meta` says what the failure means (reason code, severity, fix). An
expectation that raised inside GX is a fault of the pipeline, never a verdict on the data.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from smartcity.config import EXPECTATIONS_DIR
from smartcity.errors import PermanentError

log = logging.getLogger(__name__)

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no calls home from a closed network


class SuiteExecutionError(PermanentError):
    """Great Expectations could not evaluate an expectation: a pipeline error, not bad data."""


@dataclass(frozen=True)
class ExpectationFailure:
    expectation_type: str
    column: str | None
    meta: dict[str, Any]
    failed_index: list[Any]


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    evaluated_rows: int
    expectations: int
    failures: list[ExpectationFailure]

    @property
    def failed_rows(self) -> int:
        return len({index for failure in self.failures for index in failure.failed_index})


def load_suite_definition(name: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, Any]:
    return json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))


def suite_columns(definition: dict[str, Any]) -> list[str]:
    columns = [e["kwargs"]["column"] for e in definition["expectations"] if "column" in e["kwargs"]]
    return list(dict.fromkeys(columns))


class SuiteRunner:
    """One file-backed GX context per state folder (in `<state>/gx/`); results and Data Docs live there."""

    def __init__(self, state_dir: Path) -> None:
        import great_expectations as gx  # heavy import (~10 s): only where validation runs

        self._gx = gx
        state_dir.mkdir(parents=True, exist_ok=True)
        self.context = gx.get_context(mode="file", project_root_dir=str(state_dir))
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # Progress bars would flood the task logs with one line per metric batch.
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.context.variables.save()
        source = self.context.data_sources.add_or_update_pandas("smartcity")
        self._source = source

    def run(self, name: str, frame: pd.DataFrame, run_name: str) -> SuiteResult:
        gx = self._gx
        definition = load_suite_definition(name)
        columns = suite_columns(definition)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise SuiteExecutionError(f"suite {name}: the frame lacks columns {missing}")
        suite = self.context.suites.add_or_update(
            gx.ExpectationSuite(
                name=name, expectations=definition["expectations"], meta=definition.get("meta")
            )
        )
        asset = self._asset(name)
        batch = self._batch_definition(asset)
        validation = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        checkpoint = self.context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=name,
                validation_definitions=[validation],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
                result_format={"result_format": "COMPLETE"},
            )
        )
        outcome = checkpoint.run(
            batch_parameters={"dataframe": frame[columns]},
            run_id=gx.core.run_identifier.RunIdentifier(run_name=run_name),
        )
        (result,) = outcome.run_results.values()
        return self._summarise(name, result, len(frame))

    def _asset(self, name: str):
        try:
            return self._source.get_asset(name)
        except LookupError:
            return self._source.add_dataframe_asset(name)

    @staticmethod
    def _batch_definition(asset):
        try:
            return asset.get_batch_definition("whole_frame")
        except (LookupError, KeyError):
            return asset.add_batch_definition_whole_dataframe("whole_frame")

    @staticmethod
    def _summarise(name: str, result, rows: int) -> SuiteResult:
        failures = []
        for item in result.results:
            config = item.expectation_config
            if item.exception_info and item.exception_info.get("raised_exception"):
                raise SuiteExecutionError(
                    f"suite {name}: {config.type} on {config.kwargs.get('column')} raised inside Great "
                    f"Expectations: {item.exception_info.get('exception_message')}"
                )
            if not item.success:
                failures.append(
                    ExpectationFailure(
                        expectation_type=config.type,
                        column=config.kwargs.get("column"),
                        meta=dict(config.meta or {}),
                        failed_index=list(item.result.get("unexpected_index_list") or []),
                    )
                )
        return SuiteResult(
            suite=name,
            success=bool(result.success),
            evaluated_rows=rows,
            expectations=len(result.results),
            failures=failures,
        )

    def docs_index(self) -> str | None:
        sites = self.context.get_docs_sites_urls()
        return sites[0]["site_url"] if sites else None
