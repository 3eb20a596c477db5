"""Run a Great Expectations suite kept in git (expectations/<name>.json) on a DataFrame.

GX is the engine of the row checks: every failing expectation reports the indices of the rows
it failed, and its `meta` says what the failure means (reason code, severity, fix). An
expectation that raised inside GX is a fault of the pipeline, never a verdict on the data.

A suite's `meta.shown_columns` name the columns that identify a row to a person (file and row, city,
mart and month...): the Data Docs page of a failing expectation lists them for every unexpected value,
so an analyst can find the rows without the DataFrame. Each expectation's `why` and `fix` become its
Data Docs notes.
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
    columns: tuple[str, ...] = ()  # every column the expectation reads (a pair expectation reads two)


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    evaluated_rows: int
    expectations: int
    failures: list[ExpectationFailure]
    docs_page: str | None = None  # this validation's page in Data Docs
    docs_index: str | None = None  # the Data Docs index

    @property
    def failed_rows(self) -> int:
        return len({index for failure in self.failures for index in failure.failed_index})


def load_suite_definition(name: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, Any]:
    return json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))


_COLUMN_KWARGS = ("column", "column_A", "column_B")
# A positional key added to every frame handed to GX: GX reports failing rows by the values of the
# `unexpected_index_column_names` (as text), and this one maps them back to the caller's index.
_ROW_KEY = "frame_row"


def shown_columns(definition: dict[str, Any]) -> list[str]:
    return list(definition.get("meta", {}).get("shown_columns", []))


def suite_columns(definition: dict[str, Any]) -> list[str]:
    """The columns the suite reads: its shown columns, then every column an expectation names."""
    columns = shown_columns(definition)
    for expectation in definition["expectations"]:
        columns += [expectation["kwargs"][k] for k in _COLUMN_KWARGS if k in expectation["kwargs"]]
    return list(dict.fromkeys(columns))


def _with_notes(expectation: dict[str, Any]) -> dict[str, Any]:
    """The expectation as GX takes it, with its `why` and `fix` as notes shown in Data Docs."""
    meta = expectation.get("meta") or {}
    notes = [f"**{label}**: {meta[key]}" for key, label in (("why", "Why"), ("fix", "Fix")) if meta.get(key)]
    return {**expectation, "notes": notes} if notes else expectation


class SuiteRunner:
    """One file-backed GX context per state folder (in `<state>/gx/`); results and Data Docs live there."""

    def __init__(self, state_dir: Path, defer_docs: bool = False) -> None:
        """`defer_docs`: build Data Docs once, with `build_docs()`, for all the results of a run, instead of
        after every checkpoint (rendering the site is about half of a checkpoint's cost)."""
        import great_expectations as gx  # heavy import (~10 s): only where validation runs

        self._gx = gx
        state_dir.mkdir(parents=True, exist_ok=True)
        self.context = gx.get_context(mode="file", project_root_dir=str(state_dir))
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # Progress bars would flood the task logs with one line per metric batch.
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.context.variables.save()
        from smartcity.validation import SITE_NAME
        from smartcity.validation.data_docs import SITE_CONFIG

        # Data Docs readable offline (the stock index needs CDN scripts); see data_docs.py.
        if SITE_NAME in self.context.list_data_docs_sites():
            self.context.update_data_docs_site(SITE_NAME, SITE_CONFIG)
        else:
            self.context.add_data_docs_site(SITE_NAME, SITE_CONFIG)
        source = self.context.data_sources.add_or_update_pandas("smartcity")
        self._source = source
        self._defer_docs = defer_docs
        self._pending_docs: list = []
        self._pending_suites: set[str] = set()  # their suite pages too: the index links to them
        self._checkpoints: dict[str, Any] = {}  # one definition per suite and runner, not one per month

    def run(self, name: str, frame: pd.DataFrame, run_name: str) -> SuiteResult:
        gx = self._gx
        definition = load_suite_definition(name)
        columns = suite_columns(definition)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise SuiteExecutionError(f"suite {name}: the frame lacks columns {missing}")
        if name not in self._checkpoints:
            self._checkpoints[name] = self._checkpoint(name, definition)
        checked = frame[columns].reset_index(drop=True)
        checked.insert(0, _ROW_KEY, range(len(checked)))
        outcome = self._checkpoints[name].run(
            batch_parameters={"dataframe": checked},
            run_id=gx.core.run_identifier.RunIdentifier(run_name=run_name),
        )
        ((key, result),) = outcome.run_results.items()
        if self._defer_docs:
            self._pending_docs.append(key)
            self._pending_suites.add(name)
        pages = self.context.get_docs_sites_urls(resource_identifier=key)
        return self._summarise(
            name, result, frame.index, pages[0]["site_url"] if pages else None, self.docs_index()
        )

    def build_docs(self) -> None:
        """Render the Data Docs pages of the results deferred so far, and the index, in one build."""
        from smartcity.validation import SITE_NAME

        if self._pending_docs:
            from great_expectations.data_context.types.resource_identifiers import (
                ExpectationSuiteIdentifier,
            )

            suites = [ExpectationSuiteIdentifier(name) for name in sorted(self._pending_suites)]
            self.context.build_data_docs(
                site_names=[SITE_NAME], resource_identifiers=[*self._pending_docs, *suites]
            )
            self._pending_docs = []
            self._pending_suites = set()

    def _checkpoint(self, name: str, definition: dict[str, Any]):
        gx = self._gx
        suite = self.context.suites.add_or_update(
            gx.ExpectationSuite(
                name=name,
                expectations=[_with_notes(e) for e in definition["expectations"]],
                meta=definition.get("meta"),
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
                actions=[]
                if self._defer_docs
                else [gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
                # COMPLETE: every failing row is reported (the quarantine needs them all), and Data Docs
                # show each unexpected value with the shown columns of its rows.
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": [_ROW_KEY, *shown_columns(definition)],
                },
            )
        )
        return checkpoint

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
    def _summarise(name: str, result, index: pd.Index, page: str | None, docs: str | None) -> SuiteResult:
        failures = []
        for item in result.results:
            config = item.expectation_config
            columns = tuple(config.kwargs[k] for k in _COLUMN_KWARGS if config.kwargs.get(k))
            raised = _raised(item.exception_info)
            if raised is not None:
                raise SuiteExecutionError(
                    f"suite {name}: {config.type} on {', '.join(columns)} raised inside Great "
                    f"Expectations: {raised}"
                )
            if not item.success:
                failures.append(
                    ExpectationFailure(
                        expectation_type=config.type,
                        column=config.kwargs.get("column"),
                        columns=columns,
                        meta=dict(config.meta or {}),
                        failed_index=[
                            index[int(unexpected[_ROW_KEY])]
                            for unexpected in item.result.get("unexpected_index_list") or []
                        ],
                    )
                )
        return SuiteResult(
            suite=name,
            success=bool(result.success),
            evaluated_rows=len(index),
            expectations=len(result.results),
            failures=failures,
            docs_page=page,
            docs_index=docs,
        )

    def docs_index(self) -> str | None:
        """The Data Docs index page (a file:// URL)."""
        sites = self.context.get_docs_sites_urls()
        return sites[0]["site_url"] if sites else None


def _raised(exception_info: dict[str, Any] | None) -> str | None:
    """The message of an exception GX caught while evaluating, if any. GX gives either one flat
    `{raised_exception, exception_message}` or one such dict per metric it computed."""
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message") or "an exception without a message")
    return None
