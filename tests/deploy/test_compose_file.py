"""docker-compose.yml, checked without a Docker engine: valid Compose, and it keeps its promises.

compose_spec.json beside this file is the Compose Specification schema as shipped inside the PyPI package
docker-compose 1.29.2 (compose/config/compose_spec.json, Apache-2.0, Docker Inc.). That package cannot be a
dependency here (it pins PyYAML<6 and jsonschema<4), so the file is kept as it is, checked by its checksum.
It is the 2021 revision of the specification: what it accepts, today's Compose accepts too.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

pytestmark = pytest.mark.deploy

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
SCHEMA = Path(__file__).with_name("compose_spec.json")
SCHEMA_SHA256 = "0dc04bd346dcfee1b1419628fff79937bbf076925f298f272a2b490e2b112bac"
ENV_EXAMPLE = REPO / "deploy" / ".env.example"

AIRFLOW_SERVICES = {
    "airflow-api-server": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}
LONG_RUNNING = {"postgres", "superset", *AIRFLOW_SERVICES}
ONE_SHOT = {"airflow-init"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|FERNET", re.IGNORECASE)
REQUIRED_REF = re.compile(r"^\$\{([A-Z0-9_]+):\?[^}]+\}$")
ANY_REF = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}")
DURATION = re.compile(r"^(\d+(\.\d+)?(us|ms|s|m|h))+$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _volumes(service: dict) -> dict[str, dict]:
    """The service's mounts by target, in long syntax."""
    mounts = {}
    for volume in service.get("volumes", []):
        assert isinstance(volume, dict), f"use the long volume syntax (explicit read_only): {volume!r}"
        mounts[volume["target"]] = volume
    return mounts


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _strings(node, path=()):
    """Every (path, key, string value) of the document; list items get their index as key."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from _strings(value, (*path, key))
            else:
                yield (*path, key), str(key), value
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict | list):
                yield from _strings(value, (*path, index))
            else:
                yield (*path, index), str(index), value


def interpolate(text: str, env: dict[str, str]) -> tuple[str, list[str]]:
    """Compose's variable substitution (${VAR}, ${VAR:-default}, ${VAR:?error}, $$): the text, and the
    errors Compose would stop with."""
    errors: list[str] = []

    def substitute(match: re.Match) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        value = env.get(name, "")
        if operator == ":?" and not value:
            errors.append(f"{name}: {argument}")
        if operator == ":-" and not value:
            return argument
        return value

    text = text.replace("$$", "\0")
    return ANY_REF.sub(substitute, text).replace("\0", "$"), errors


def test_the_schema_is_the_one_shipped_by_docker_compose():
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Compose Specification"
    jsonschema.Draft201909Validator.check_schema(schema)


def test_valid_against_the_compose_specification(compose):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft201909Validator(schema).iter_errors(compose), key=lambda e: e.path)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_catches_mistakes(compose):
    """The validation is not vacuous: a misspelt key or a wrong type is reported."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(compose))
    broken["services"]["postgres"]["healthchek"] = broken["services"]["postgres"].pop("healthcheck")
    broken["services"]["superset"]["ports"] = 8088
    assert len(list(jsonschema.Draft201909Validator(schema).iter_errors(broken))) == 2


def test_postgres_the_four_airflow_services_an_init_and_bi(compose):
    assert set(compose["services"]) == LONG_RUNNING | ONE_SHOT
    for name, command in AIRFLOW_SERVICES.items():
        service = compose["services"][name]
        assert service["command"] == [command]
        assert service["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
        assert service["image"] == compose["services"]["airflow-init"]["image"], "one image for Airflow"
    assert compose["services"]["airflow-init"]["command"] == ["db", "migrate"]
    assert compose["services"]["postgres"]["image"].startswith("postgres:")
    assert set(compose["volumes"]) >= {"postgres-data", "warehouse"}
    assert _volumes(compose["services"]["postgres"])["/var/lib/postgresql/data"]["source"] == "postgres-data"


def test_migrations_run_before_the_services_start(compose):
    services = compose["services"]
    assert services["airflow-init"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["airflow-init"]["restart"] == "no"
    for name in AIRFLOW_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert depends["airflow-init"] == {"condition": "service_completed_successfully"}, name
    assert services["superset"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name, depends in ((n, s.get("depends_on", {})) for n, s in services.items()):
        for other in depends:
            assert other in services, f"{name} depends on unknown {other}"


def test_every_long_running_service_has_a_healthcheck(compose):
    for name in LONG_RUNNING:
        check = compose["services"][name].get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) >= 2, name
        assert not check.get("disable"), name
        for key in ("interval", "timeout", "start_period"):
            assert DURATION.match(check[key]), f"{name}.healthcheck.{key}={check[key]!r}"
        assert check["retries"] >= 3, name
        assert compose["services"][name]["restart"] == "unless-stopped", name
    for name, command in AIRFLOW_SERVICES.items():
        test = compose["services"][name]["healthcheck"]["test"]
        assert test == ["CMD", "python", "/opt/smartcity/deploy/healthcheck.py", command], name
    # The script the checks run is in the image.
    assert "deploy/healthcheck.py" in (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")


def test_mounts_are_read_only_where_they_must_be(compose):
    services = compose["services"]
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        mounts = _volumes(services[name])
        assert mounts["/landing"]["type"] == "bind" and mounts["/landing"]["read_only"] is True, name
        assert REQUIRED_REF.match(mounts["/landing"]["source"]), name
        # The pipeline writes the warehouse (and its state beside it): only Airflow may.
        assert mounts["/warehouse"]["source"] == "warehouse", name
        assert not mounts["/warehouse"].get("read_only"), name
        env = services[name]["environment"]
        assert env["SMARTCITY_LANDING"] == "/landing"
        assert env["SMARTCITY_WAREHOUSE"] == "/warehouse/warehouse.duckdb"
    bi = _volumes(services["superset"])
    assert set(bi) == {"/warehouse"}
    assert bi["/warehouse"] == {
        "type": "volume",
        "source": "warehouse",
        "target": "/warehouse",
        "read_only": True,
    }
    for mount in _volumes(services["postgres"]).values():
        if mount["type"] == "bind":
            assert mount["read_only"] is True, mount


def test_superset_opens_the_warehouse_read_only(compose):
    env = compose["services"]["superset"]["environment"]
    assert env["SMARTCITY_WAREHOUSE_URI"] == "duckdb:////warehouse/warehouse.duckdb"
    assert compose["services"]["superset"]["build"]["context"] == "deploy/superset"
    source = (REPO / "deploy" / "superset" / "bootstrap.py").read_text(encoding="utf-8")
    namespace: dict = {"__file__": str(REPO / "deploy" / "superset" / "bootstrap.py")}
    exec(compile(source, "bootstrap.py", "exec"), namespace)  # defines READ_ONLY_EXTRA; main() not run
    assert namespace["READ_ONLY_EXTRA"] == {
        "engine_params": {
            "connect_args": {
                "read_only": True,
                "config": {"enable_external_access": False, "lock_configuration": True},
            }
        }
    }
    assert '"allow_dml"' in source and "= False" in source
    lock = (REPO / "deploy" / "superset" / "requirements.lock").read_text(encoding="utf-8").splitlines()
    # DuckDB 2.0 writes the warehouse; 1.x cannot read it.
    assert "duckdb==2.0.0" in lock and any(line.startswith("duckdb-engine==") for line in lock)
    assert any(line.startswith("apache-superset==") for line in lock)


def test_no_literal_secret_anywhere(compose):
    for path, key, value in _strings(compose):
        if not isinstance(value, str):
            continue
        if SECRET_NAME.search(key):
            assert REQUIRED_REF.match(value), f"{'.'.join(map(str, path))} must be a ${{VAR:?...}} reference"
        for credentials in re.findall(r"://[^/@\s]*:([^@\s]*)@", value):
            assert REQUIRED_REF.match(credentials), f"{'.'.join(map(str, path))}: password in a URL"
        for name, operator, _ in ANY_REF.findall(value):
            if SECRET_NAME.search(name):
                assert operator == ":?", f"{name} must be required (:?), never defaulted"
    for name in AIRFLOW_SERVICES:
        assert compose["services"][name]["env_file"] == ".env"
    assert compose["secrets"]["airflow_passwords"]["file"].startswith("${AIRFLOW_PASSWORDS_FILE:?")


def test_the_env_template_names_every_variable_and_holds_no_secret(compose):
    template = _env_example()
    referenced = {match[0] for _, _, value in _strings(compose) for match in ANY_REF.findall(str(value))}
    assert referenced - set(template) == set(), "variables missing from deploy/.env.example"
    secrets = {name for name in template if SECRET_NAME.search(name)}
    assert secrets >= {"POSTGRES_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "SUPERSET_SECRET_KEY"}
    assert {name: template[name] for name in secrets} == dict.fromkeys(secrets, ""), "placeholders only"


def _interpolate_document(node, env: dict[str, str], errors: list[str]):
    """As Compose does: on the parsed document's values (comments are not interpolated)."""
    if isinstance(node, dict):
        return {key: _interpolate_document(value, env, errors) for key, value in node.items()}
    if isinstance(node, list):
        return [_interpolate_document(value, env, errors) for value in node]
    if isinstance(node, str):
        text, found = interpolate(node, env)
        errors.extend(found)
        return text
    return node


def test_compose_refuses_to_start_without_the_secrets(compose):
    errors: list[str] = []
    _interpolate_document(compose, _env_example(), errors)
    missing = {error.split(":")[0] for error in errors}
    assert {
        "POSTGRES_PASSWORD",
        "AIRFLOW_JWT_SECRET",
        "AIRFLOW_PASSWORDS_FILE",
        "SUPERSET_ADMIN_PASSWORD",
    } <= missing
    filled = {name: value or f"test-{name.lower()}" for name, value in _env_example().items()}
    errors = []
    resolved = _interpolate_document(compose, filled, errors)
    assert errors == []
    # Only the `$${...}` escapes are left: variables of the container's shell, not of Compose.
    assert re.findall(r"\$\{\w+", json.dumps(resolved)) == ["${POSTGRES_USER", "${POSTGRES_DB"]
    conn = resolved["services"]["airflow-scheduler"]["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert conn == "postgresql+psycopg2://airflow:test-postgres_password@postgres:5432/airflow"
    assert resolved["services"]["postgres"]["healthcheck"]["test"][1].startswith(
        'pg_isready -U "${POSTGRES_USER}"'
    )


def test_simple_auth_manager_with_a_passwords_secret_and_no_default_user(compose):
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        service = compose["services"][name]
        env = service["environment"]
        assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("simple_auth_manager.SimpleAuthManager")
        assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
        assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].startswith("${AIRFLOW_ADMIN_USER:?")
        assert service["secrets"] == ["airflow_passwords"]


def test_the_entrypoint_refuses_to_start_without_the_passwords_secret(tmp_path):
    entrypoint = REPO / "deploy" / "airflow-entrypoint.sh"
    env = {"PATH": "/usr/bin:/bin", "AIRFLOW_HOME": str(tmp_path / "home")}
    missing = {**env, "SMARTCITY_AIRFLOW_PASSWORDS_SECRET": str(tmp_path / "absent.json")}
    done = subprocess.run(["bash", str(entrypoint), "version"], env=missing, capture_output=True, text=True)
    assert done.returncode == 64 and "no default credentials" in done.stderr
    # With the secret: a private copy for Airflow, then `airflow` runs (a stub here).
    secret = tmp_path / "secret.json"
    secret.write_text('{"admin": "s3cr3t-for-test"}', encoding="utf-8")
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "airflow").write_text(
        '#!/bin/sh\necho "args=$* file=$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"\n'
    )
    (stub / "airflow").chmod(0o755)
    present = {**env, "PATH": f"{stub}:/usr/bin:/bin", "SMARTCITY_AIRFLOW_PASSWORDS_SECRET": str(secret)}
    done = subprocess.run(["bash", str(entrypoint), "version"], env=present, capture_output=True, text=True)
    copy = tmp_path / "home" / "simple_auth_manager_passwords.json"
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"args=version file={copy}"
    assert copy.read_text(encoding="utf-8") == secret.read_text(encoding="utf-8")
    assert copy.stat().st_mode & 0o077 == 0


def test_the_executor_is_the_one_the_readme_states(compose):
    executors = {compose["services"][n]["environment"]["AIRFLOW__CORE__EXECUTOR"] for n in AIRFLOW_SERVICES}
    assert executors == {"LocalExecutor"}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Production deployment\n", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"The executor is `(\w+)`", section) == ["LocalExecutor"]
    assert (
        "LocalExecutor" in COMPOSE.read_text(encoding="utf-8").split("services:")[0]
    )  # the comment says why


def test_the_images(compose):
    airflow = (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", airflow, re.MULTILINE)
    assert re.search(r"uv pip install .*-r requirements\.lock", airflow)
    assert "COPY . " not in airflow and ".env" not in re.sub(r"#.*", "", airflow)
    ignored = (REPO / "deploy" / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".env", ".venv/", "data/", "deploy/secrets/"} <= set(ignored)
    superset = (REPO / "deploy" / "superset" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"uv pip install .*-r /app/superset/requirements\.lock", superset)
    assert "USER superset" in superset and "USER airflow" in airflow
