"""Several `airflow` CLI commands in one process: Airflow starts, and parses the DAG folder, once.

Each `airflow` process spends seconds starting Airflow, and `airflow dags test` seconds more starting its
in-process execution API before its first task (about 20 s together on a 2-core machine). `make demo` runs
seven commands (db migrate, pools import, five `dags test`), so it runs them here, in one process, through
the same parser and command functions as the `airflow` executable.

    python -m runners.airflow_commands '[["db", "migrate"], ["dags", "test", "aws_costs", "2026-11-30"]]'

Every command's output is framed by marker lines (`MARKER start <index>`, `MARKER end <index> <exit code>
<seconds>`), so a caller can split the one stream into a log per command (`run`). The first command that
fails ends the process with its exit code: the commands after it would run on what it did not do.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

MARKER = "##finops-airflow-command##"


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def main(argv: list[str] | None = None) -> int:
    commands = json.loads((argv if argv is not None else sys.argv[1:])[0])
    # as the `airflow` executable does (airflow.__main__.main), once for all commands
    from airflow.cli import cli_parser
    from airflow.configuration import write_default_airflow_configuration_if_needed

    write_default_airflow_configuration_if_needed()
    parser = cli_parser.get_parser()
    for index, command in enumerate(commands):
        print(f"{MARKER} start {index}", flush=True)
        started, code = time.monotonic(), 0
        try:
            args = parser.parse_args(command)
            args.func(args)
        except SystemExit as exc:  # how CLI commands fail (e.g. `dags test`: "DagRun failed")
            code = _exit_code(exc)
            if code:
                print(f"`airflow {' '.join(command)}` exited: {exc.code}", flush=True)
        except Exception:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        print(f"{MARKER} end {index} {code} {time.monotonic() - started:.1f}", flush=True)
        if code:
            return code
    return 0


def run(commands: list[tuple[str, list[str]]], env: dict[str, str], logs: Path,
        on_start: Callable[[str, Path], None] = lambda name, log: None,
        on_end: Callable[[str, Path, float], None] = lambda name, log, seconds: None) -> None:
    """Run (name, airflow arguments) commands in one process; each command's output to `logs/<name>.log`.
    Fails (SystemExit) with the failed command's log tail; the commands after it do not run."""
    names = [name for name, _ in commands]
    process = subprocess.Popen(
        [sys.executable, "-m", "runners.airflow_commands", json.dumps([arguments for _, arguments in commands])],
        env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    # output before the first command (Airflow starting) and after the last goes to the first and last log
    log_path = logs / f"{names[0]}.log"
    log = open(log_path, "w")
    failed: tuple[str, Path] | None = None
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(MARKER):
                _, event, index, *rest = line.split()
                name = names[int(index)]
                if event == "start":
                    if log_path != logs / f"{name}.log":
                        log.close()
                        log_path = logs / f"{name}.log"
                        log = open(log_path, "w")
                    on_start(name, log_path)
                elif int(rest[0]) == 0:
                    log.flush()
                    on_end(name, log_path, float(rest[1]))
                else:
                    failed = (name, log_path)
                continue
            log.write(line)
    finally:
        log.close()
        code = process.wait()
    if failed or code:
        name, path = failed or (log_path.stem, log_path)
        command = dict(commands)[name]
        tail = path.read_text().splitlines()[-40:]
        raise SystemExit(f"`airflow {' '.join(command)}` failed (exit {code}); log {path}:\n" + "\n".join(tail))


if __name__ == "__main__":
    sys.exit(main())
