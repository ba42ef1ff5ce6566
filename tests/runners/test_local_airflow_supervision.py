"""`make airflow` stops everything when one component or stand-in dies, and on Ctrl-C, including the
processes a component started (task processes, workers)."""

import os
import signal
import subprocess
import threading
import time

import pytest

from runners.local_airflow import LocalAirflow, _group_alive, stop_process_group, supervise
from standins.ports import free_port

pytestmark = pytest.mark.timeout(120)


def group_with_children() -> subprocess.Popen:
    # a leader that ignores SIGTERM (as a busy component might) and two children of its own
    return subprocess.Popen(["bash", "-c", "trap '' TERM; sleep 300 & sleep 300 & wait"], start_new_session=True)


def test_stopping_a_component_stops_its_whole_process_group():
    process = group_with_children()
    time.sleep(0.5)
    stop_process_group(process, timeout=1)
    assert process.poll() is not None
    assert not _group_alive(process.pid)


def local_airflow(processes, watched_ports=None) -> LocalAirflow:
    return LocalAirflow(env={}, logs=None, url="", postgres=None, processes=processes,
                        watched_ports=watched_ports or {})


def test_one_component_exiting_stops_the_supervisor():
    alive, dying = subprocess.Popen(["sleep", "300"]), subprocess.Popen(["sleep", "0.3"])
    try:
        started = time.monotonic()
        assert supervise(local_airflow({"scheduler": alive, "triggerer": dying}), poll_seconds=0.1) == 1
        assert time.monotonic() - started < 10
    finally:
        alive.kill()


def test_a_stand_in_that_stops_answering_stops_the_supervisor():
    alive = subprocess.Popen(["sleep", "300"])
    try:
        assert supervise(local_airflow({"scheduler": alive}, {"S3": free_port()}), poll_seconds=0.1) == 1
    finally:
        alive.kill()


def test_ctrl_c_ends_the_supervisor_cleanly():
    alive = subprocess.Popen(["sleep", "300"])
    # as `make airflow` does: Ctrl-C works even when this process was started with SIGINT ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        assert supervise(local_airflow({"scheduler": alive}), poll_seconds=0.1) == 0
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
        alive.kill()
