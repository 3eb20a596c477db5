"""The transform step: `dbt build` (seeds, snapshots, models, data tests) on the build database, then
`dbt docs generate` so the model documentation is published with each run (generated again only when the
project changed).

dbt's unit tests are left out of the pipeline's build, as dbt advises for production: their inputs are fixed,
so they say nothing new about a month's data, and they were a quarter of a small run's build. `make test` runs
them (tests/e2e/test_dbt_unit_tests.py), and so does `dbt build` by hand.

dbt runs in-process through its programmatic runner; a failing model or test fails the step with
the names of what failed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from smartcity.config import DBT_PROJECT_DIR, Settings
from smartcity.errors import PermanentError, StorageError, storage_advice
from smartcity.failpoints import armed, failpoint
from smartcity.state import connect

if TYPE_CHECKING:
    import duckdb
    from dbt.cli.main import dbtRunnerResult
    from dbt.contracts.graph.manifest import Manifest

log = logging.getLogger(__name__)


DOCS_FOLDER = "dbt-docs"  # under the reports folder: the dbt documentation site, one static HTML file
DOCS_STAMP = ".generated-for"  # beside it: the build fingerprint and dbt version it was generated for


class TransformError(PermanentError):
    """dbt reported failing models or tests; nothing is published."""


class TransformStorageError(TransformError, StorageError):
    """dbt could not write the build database or its files: a full disk, a read-only folder."""


def _storage_fault(settings: Settings, command: str, problems: list[str]) -> TransformStorageError | None:
    """A TransformStorageError when what dbt reported is a full disk or a read-only folder, else None."""
    for problem in problems:
        advice = storage_advice(Exception(problem), settings.state_dir)
        if advice is not None:
            return TransformStorageError(
                f"dbt {command} could not write in {settings.state_dir} ({problem.splitlines()[0][:300]}): "
                f"{advice}, and run again; nothing was published"
            )
    return None


def dbt_vars(settings: Settings) -> dict:
    """The project variables a run sets: the index's methodology version and, when configured, the index
    weights (an override is also the importance the weight audit compares with). They change only with the
    settings, so dbt's partial parsing holds from one run to the next; the months are run parameters."""
    from smartcity.index.methodology import methodology_version

    variables: dict = {"index_methodology_version": methodology_version(settings.index_weights)}
    if settings.index_weights is not None:
        variables["index_weights"] = settings.index_weights
        variables["index_intended_importance"] = settings.index_weights
    return variables


# The full rebuild's first month: before any month a landing area can hold.
EVERY_MONTH = date(1900, 1, 1)


def write_run_parameters(
    con: duckdb.DuckDBPyConnection, report_month: date, rebuild_from: date | None
) -> None:
    """What this build covers, for the models to read (macros/report_month.sql): the last month, and the first
    month incremental models rebuild."""
    con.execute("delete from pipeline.run_parameters")
    con.execute(
        "insert into pipeline.run_parameters values (?, ?)", [report_month, rebuild_from or EVERY_MONTH]
    )


def read_rebuild_from(con: duckdb.DuckDBPyConnection) -> date:
    """The first month the last build rewrote (EVERY_MONTH after a full rebuild, or before any build)."""
    row = con.execute("select max(rebuild_from) from pipeline.run_parameters").fetchone()
    return row[0] if row and row[0] is not None else EVERY_MONTH


def _arguments(settings: Settings, command: list[str], project_dir: Path = DBT_PROJECT_DIR) -> list[str]:
    os.environ["SMARTCITY_PIPELINE_DB"] = str(settings.pipeline_db)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    return [
        *command,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(settings.state_dir / "dbt_target"),
        "--log-path",
        str(settings.state_dir / "dbt_logs"),
        "--vars",
        json.dumps(dbt_vars(settings)),
    ]


def parse_project(settings: Settings) -> Manifest:
    """Parse the project once for a run (partial parsing: only what changed since the last run's parse); the
    build and the documentation then share this manifest."""
    from dbt.cli.main import dbtRunner  # heavy import: only in the step that needs it

    result = dbtRunner().invoke(_arguments(settings, ["parse"]))
    if not result.success or result.result is None:
        problem = result.exception or "see the dbt logs in the state folder"
        raise _storage_fault(settings, "parse", [str(problem)]) or TransformError(
            f"dbt parse could not read the project: {problem}"
        )
    return result.result


def run_dbt(
    settings: Settings,
    command: list[str],
    manifest: Manifest | None = None,
    project_dir: Path = DBT_PROJECT_DIR,
) -> dbtRunnerResult:
    """One dbt command on the build database, as the pipeline gives it (profile, target, variables), with
    dbt's result as it is. `project_dir`: another copy of the project (a test of a changed model)."""
    from dbt.cli.main import dbtRunner  # heavy import: only in the step that needs it

    args = _arguments(settings, command, project_dir)
    log.info("dbt %s", " ".join(args))
    # The testing hook that kills a build half-way (failpoints.py); no callback at all otherwise.
    callbacks = [_model_built_failpoint] if armed("transform.") else []
    return dbtRunner(manifest=manifest, callbacks=callbacks).invoke(args)


def _invoke(settings: Settings, command: list[str], manifest: Manifest | None = None) -> list:
    """run_dbt, with a failing node or a dbt error raised as a TransformError; the nodes' results."""
    result = run_dbt(settings, command, manifest)
    if result.exception is not None:
        fault = _storage_fault(settings, command[0], [str(result.exception)])
        raise fault or TransformError(
            f"dbt {command[0]} could not run: {result.exception}"
        ) from result.exception
    # `build` returns run results per node; `docs generate` returns a catalog (no per-node results).
    nodes = list(getattr(result.result, "results", None) or [])
    if not result.success:
        failed = [
            f"{r.node.resource_type} {r.node.name}: {r.status} ({(r.message or '').strip()[:300]})"
            for r in nodes
            if str(r.status) in ("error", "fail")
        ]
        fault = _storage_fault(settings, command[0], failed)
        if fault is not None:
            raise fault
        raise TransformError(
            f"dbt {command[0]} failed, nothing was published:\n  - "
            + "\n  - ".join(failed or ["(see the dbt logs in the state folder)"])
        )
    return nodes


def _model_built_failpoint(event) -> None:
    if event.info.name == "NodeFinished" and event.data.node_info.resource_type == "model":
        failpoint("transform.model_built")


# The registry is the one source a month leaves as it was (the pull reads it again only when its files or the
# code changed). The macros and configs through which a node reads the months a build covers:
REGISTRY_SOURCE = "registry"
RUN_PARAMETER_MACROS = frozenset({"macro.smartcity.report_month", "macro.smartcity.rebuild_from"})
REBUILT_MONTHS_FILTER = "__rebuilt_months__"  # a data test's `where` (macros/get_where_subquery.sql)
MONTHS_STRATEGY = "replace_months"  # the incremental strategy (macros/replace_months.sql)
# Every data test calls get_where_subquery, and the replace_months models the strategy's macro: both read the
# months only for a node configured so, which the configs above tell.
CONFIGURED_READERS = frozenset(
    {"macro.smartcity.get_where_subquery", "macro.smartcity.get_incremental_replace_months_sql"}
)


def _reads_run_parameters(manifest: Manifest, node) -> bool:
    macros, seen = list(node.depends_on.macros), set()
    while macros:  # the macros a node calls, and the ones they call
        name = macros.pop()
        if name in RUN_PARAMETER_MACROS:
            return True
        if name not in seen and name not in CONFIGURED_READERS and name in manifest.macros:
            seen.add(name)
            macros.extend(manifest.macros[name].depends_on.macros)
    config = node.config
    return REBUILT_MONTHS_FILTER in str(getattr(config, "where", None) or "") or (
        getattr(config, "incremental_strategy", None) == MONTHS_STRATEGY
    )


def month_selection(manifest: Manifest) -> list[str]:
    """dbt selectors of every node a month's build can change, for a registry as the last build had it: what
    descends from a source other than the registry, and from a node that reads the months (the run
    parameters). Data tests come with them (dbt's eager indirect selection: a test of a selected node runs,
    so a relationship from a month's table to dim_cities is still checked). Left out: the nodes that read
    only the registry, the seeds and the project (dim_cities, proposal_screening, the registry's snapshots
    and their tests), whose inputs are those the last build read."""
    sources = sorted({source.source_name for source in manifest.sources.values()} - {REGISTRY_SOURCE})
    data_sources = {uid for uid, source in manifest.sources.items() if source.source_name in sources}
    reads_data: dict[str, bool] = {}

    def descends_from_data(uid: str) -> bool:
        if uid not in reads_data:
            node = manifest.nodes.get(uid)
            parents = getattr(node.depends_on, "nodes", []) if node is not None else []  # seeds: none
            reads_data[uid] = uid in data_sources or any(descends_from_data(parent) for parent in parents)
        return reads_data[uid]

    # Every node reading the months descends from the month's data today; listed all the same when one does
    # not, so that a future model reading report_month() alone can never be left out.
    readers = sorted(
        node.name
        for uid, node in manifest.nodes.items()
        if _reads_run_parameters(manifest, node) and not descends_from_data(uid)
    )
    return [f"source:{name}+" for name in sources] + [f"{name}+" for name in readers]


def _built_identity(con: duckdb.DuckDBPyConnection) -> str | None:
    """The identity of the registry tables the last build that passed read (None before it)."""
    row = con.execute("select max(identity) from pipeline.registry_built").fetchone()
    return row[0] if row else None


def _record_registry_built(settings: Settings, identity: str | None) -> None:
    with connect(settings.pipeline_db) as con:
        con.begin()
        con.execute("delete from pipeline.registry_built")
        if identity is not None:
            con.execute("insert into pipeline.registry_built values (?, now())", [identity])
        con.commit()


class Built(NamedTuple):
    """What a build did: the nodes it ran, and whether it kept the registry's nodes as built."""

    nodes: int
    registry_kept: bool


def dbt_build(
    settings: Settings,
    report_month: date,
    rebuild_from: date | None = None,
    full_refresh: bool = False,
    manifest: Manifest | None = None,
) -> Built:
    """Build everything but the unit tests; incremental models rebuild from `rebuild_from` on, or fully with
    `full_refresh`.

    An incremental build whose registry tables are those the last build that passed read builds only
    `month_selection` (with the manifest): the nodes reading nothing but the registry, the seeds and the
    project would come out as they are, their tests with the same verdict. Any other build builds every
    node; a build that fails records nothing, so the next one builds every node again (a failing test of
    the registry fails again)."""
    from smartcity.ingestion.registry import loaded_identity

    full = full_refresh or rebuild_from is None
    with connect(settings.pipeline_db) as con:
        write_run_parameters(con, report_month, None if full else rebuild_from)
        registry, registry_built = loaded_identity(con), _built_identity(con)
    selection: list[str] = []
    if not full and manifest is not None and registry is not None and registry == registry_built:
        selection = ["--select", *month_selection(manifest)]
    command = [
        "build",
        *(["--full-refresh"] if full else []),
        *selection,
        "--exclude-resource-type",
        "unit_test",
    ]
    nodes = _invoke(settings, command, manifest)
    _record_registry_built(settings, registry)
    scope = "full rebuild" if full else f"incremental from {rebuild_from:%Y-%m}"
    kept = "; the registry is as the last build read it: its nodes kept as built" if selection else ""
    log.info("dbt build passed (%s): %d nodes%s", scope, len(nodes), kept)
    return Built(nodes=len(nodes), registry_kept=bool(selection))


def dbt_docs(settings: Settings, manifest: Manifest | None = None, fingerprint: str | None = None) -> Path:
    """The dbt documentation site as one static HTML file in the reports folder.

    Generated again only when what it shows can have changed: the site is the project (models, tests,
    descriptions) and the catalog of the tables' columns, never their rows. So a run whose build `fingerprint`
    (every project file, the registry, the index settings: planning.build_fingerprint) and dbt version are
    those the page was generated for keeps the page, and saves reading the whole catalog (seconds at
    national scale). Without a fingerprint the page is always generated."""
    from dbt.version import __version__ as dbt_version

    target = settings.reports_dir / DOCS_FOLDER
    page, stamp = target / "index.html", target / DOCS_STAMP
    generated_for = f"{fingerprint} dbt {dbt_version}\n" if fingerprint else None
    if generated_for and page.is_file() and stamp.is_file() and stamp.read_text() == generated_for:
        log.info("dbt docs: the project and the tables' columns are as documented in %s", page)
        return page
    _invoke(settings, ["docs", "generate", "--static"], manifest)
    target.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)  # a page copied half-way must not pass for the one generated before
    shutil.copyfile(settings.state_dir / "dbt_target" / "static_index.html", page)
    if generated_for:
        stamp.write_text(generated_for)
    log.info("dbt docs: %s", page)
    return page
