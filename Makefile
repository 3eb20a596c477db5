# Two commands for a newcomer: `make run` and `make test`. Everything else is a building block.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
INSTALLED := $(VENV)/.installed

export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: setup run test test-long lint suite unit e2e browser sample clean bench

setup: $(INSTALLED)

# The venv is (re)built whenever the lock changes. uv prints its own progress. --compile-bytecode writes every
# module's .pyc once here: where PYTHONDONTWRITEBYTECODE is set (CI, the images) Python would otherwise compile
# Airflow, dbt and Great Expectations from source in every process, about 7 s each time.
$(INSTALLED): requirements.lock pyproject.toml
	@echo "==> Creating the virtualenv in $(VENV) and installing the pinned stack (requirements.lock)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@$(UV) pip install --compile-bytecode --python $(PY) -r requirements.lock
	@$(UV) pip install --python $(PY) --no-deps -e .
	@touch $@
	@echo "==> Environment ready"

run: $(INSTALLED)
	@$(VENV)/bin/smartcity run

# Every test of the pipeline: lint, then the unit, component and end-to-end tests in one run on both cores (the
# e2e tests run the real Airflow DAG and `dbt build` with every dbt data test; dbt's unit tests run once, on the
# sample's build database).
test: lint suite

# The long checks, on their own (about 12 minutes, Superset's virtualenv included): resilience (runs
# killed at each failpoint, full and read-only disks, BI readers during a publication), docker-compose.yml's
# services as processes on PostgreSQL, and Superset with the dashboards. CI (.ci/run) runs them after `make test`.
test-long: resilience-test deploy-test superset-test

lint: $(INSTALLED)
	@echo "==> Lint: ruff (Python), mypy (types of include/smartcity), sqlfluff (dbt SQL)"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy
	@cd dbt_project && ../$(VENV)/bin/sqlfluff lint models snapshots tests/singular --disable-progress-bar

# pytest-xdist on both cores, a test module's tests on one worker (loadscope) so its module fixtures run once.
# (Not loadgroup: with pytest 9 it drops the groups and spreads a module's tests, and its fixtures, over both.)
XDIST := -n 2 --dist loadscope

suite: $(INSTALLED) browser
	@echo "==> Unit, component and end-to-end tests (the real Airflow DAG, dbt build, the published warehouse)"
	@$(VENV)/bin/pytest -m "not deploy and not superset and not resilience" -q $(XDIST) --durations=15

# The pipeline's resilience, each scenario running the pipeline several times (marker `resilience`).
.PHONY: resilience-test
resilience-test: $(INSTALLED)
	@echo "==> Resilience: runs killed at each failpoint, full and read-only disks, BI readers during a publication"
	@$(VENV)/bin/pytest -m resilience -q $(XDIST) --durations=10

unit: $(INSTALLED)
	@echo "==> Unit and component tests"
	@$(VENV)/bin/pytest -m "not e2e and not deploy and not superset and not resilience" -q $(XDIST)

e2e: $(INSTALLED) browser
	@echo "==> End to end: the real Airflow DAG, dbt build with its tests, the published warehouse"
	@$(VENV)/bin/pytest -m "e2e and not resilience" -q $(XDIST)

# The production deployment (docker-compose.yml) without Docker (tests/deploy/): the compose file against the
# Compose Specification, then the same services as plain processes on a throwaway PostgreSQL cluster. PostgreSQL's
# server binaries come from Debian packages when missing (as root, or with sudo; about a minute).
.PHONY: deploy-test postgres
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
		echo "==> Installing PostgreSQL (apt-get install -y postgresql)"; \
		scripts/apt-install postgresql; }

deploy-test: $(INSTALLED) postgres
	@echo "==> Deployment: docker-compose.yml checked, then PostgreSQL and the four Airflow services as processes"
	@$(VENV)/bin/pytest -m "deploy and not deploy_sample" -q

# Apache Superset (deploy/superset/, the `superset` service) as a plain process with the dashboards bundle, on the
# sample warehouse, checked through its REST API and in Chromium (tests/deploy/test_superset.py). Superset lives in
# its own virtualenv, built once per lock file under .cache/superset/ (cold: several minutes and ~900 MB; warm: none).
SUPERSET_LOCK := deploy/superset/requirements.lock
SUPERSET_VENV = .cache/superset/venv-$(shell sha256sum $(SUPERSET_LOCK) | cut -c1-16)
.PHONY: superset-venv superset-test
superset-venv: $(INSTALLED)
	@test -f $(SUPERSET_VENV)/.complete || { \
		echo "==> Installing Apache Superset from $(SUPERSET_LOCK) into $(SUPERSET_VENV) (once per lock file)"; \
		rm -rf $(SUPERSET_VENV) && \
		$(UV) venv --quiet --python "$$(readlink -f $(PY))" $(SUPERSET_VENV) && \
		$(UV) pip install --compile-bytecode --python $(SUPERSET_VENV)/bin/python -r $(SUPERSET_LOCK) && \
		touch $(SUPERSET_VENV)/.complete; }

superset-test: $(INSTALLED) browser postgres superset-venv
	@echo "==> Superset: the dashboards bundle imported on start, every chart through the REST API and in Chromium"
	@SMARTCITY_SUPERSET_VENV=$(CURDIR)/$(SUPERSET_VENV) $(VENV)/bin/pytest -m superset -q

# Headless Chromium for the end-to-end checks in a real browser (tests/e2e/test_*_browser.py): installed from Debian
# packages when missing (as root, or with sudo; about 2 minutes).
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=th | grep -q . ; } || { \
		echo "==> Installing Chromium and a Thai font (apt-get install -y chromium fonts-thai-tlwg)"; \
		scripts/apt-install chromium fonts-thai-tlwg; }

# Regenerate the shipped sample landing area with its generator, sample/sample_data/ (deterministic: the result
# must equal what git holds; tests/unit/test_sample_data.py checks it).
sample: $(INSTALLED)
	@$(PY) -m sample_data.generate --out include/sample_landing

clean:
	rm -rf $(VENV) .airflow data dbt_project/target dbt_project/logs

# National-scale benchmark (bench/): BENCH_SCALE=0.1 make bench for a quick run; results in bench/results/.
bench: $(INSTALLED)
	@$(PY) -m bench.run

# Mutation testing (tests/mutation/, README "Tests"): the catalogue of contract-rule mutants (SQL, GX suites and
# rule-deciding Python; each applied alone to a copy of the repo, with the tests that must catch it), then mutmut
# over the value parsers, the scheduled month and the row flags. Not part of `make test` (about 16 minutes: the catalogue 10.5, mutmut 5).
.PHONY: mutation mutation-catalogue mutation-python
mutation: mutation-catalogue mutation-python

mutation-catalogue: $(INSTALLED)
	@echo "==> Contract-rule mutants (tests/mutation/catalogue.yml), one at a time on a copy of the repository"
	@$(PY) -m tests.mutation.run_catalogue

mutation-python: $(INSTALLED)
	@echo "==> mutmut over normalize.py, schedule.py and the row flags, with their unit tests"
	@$(PY) -m tests.mutation.run_mutmut

# The whole sample year backfilled through the real scheduler on PostgreSQL (12 DAG runs, about 15 minutes):
# the production path end to end on the shipped sample. Not part of `make test` for its length.
.PHONY: deploy-sample
deploy-sample: $(INSTALLED)
	@$(VENV)/bin/pytest -m deploy_sample -q -s
