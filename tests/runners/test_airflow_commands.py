"""runners.airflow_commands: several `airflow` commands in one process, one log per command, and the first
failure stops the rest with the failed command's log."""

from importlib.metadata import version

import pytest

from runners import airflow_commands
from runners.demo import airflow_env


def test_each_command_gets_its_log_and_the_first_failure_stops_the_rest(tmp_path):
    env = airflow_env(tmp_path / "airflow", tmp_path / "data")
    logs = tmp_path / "logs"
    logs.mkdir()
    started, finished = [], []
    commands = [
        ("version", ["version"]),
        # `airflow tasks state` without its arguments: argparse exits 2, as a mistyped command does
        ("incomplete", ["tasks", "state"]),
        ("never_run", ["version"]),
    ]
    with pytest.raises(SystemExit) as failure:
        airflow_commands.run(commands, env, logs, lambda name, log: started.append(name),
                             lambda name, log, seconds: finished.append(name))
    message = str(failure.value)
    assert "`airflow tasks state` failed (exit 2)" in message
    assert str(logs / "incomplete.log") in message and "the following arguments are required" in message
    assert started == ["version", "incomplete"] and finished == ["version"]
    assert (logs / "version.log").read_text().strip().splitlines()[-1] == version("apache-airflow")
    assert not (logs / "never_run.log").exists()


def test_a_command_that_succeeds_reports_its_seconds(tmp_path):
    env = airflow_env(tmp_path / "airflow", tmp_path / "data")
    logs = tmp_path / "logs"
    logs.mkdir()
    seconds = {}
    airflow_commands.run([("version", ["version"]), ("again", ["version"])], env, logs,
                         on_end=lambda name, log, took: seconds.update({name: took}))
    assert set(seconds) == {"version", "again"} and all(s >= 0 for s in seconds.values())
    assert version("apache-airflow") in (logs / "again.log").read_text()
