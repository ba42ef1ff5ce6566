"""Fixtures of the alert tests: a data folder of their own and the two channels on local servers."""

import json

import pytest

from standins.alert_sink import AlertSink, MailSink


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_DESTINATION", "filesystem")
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def webhook(tmp_path, monkeypatch):
    """The webhook stand-in behind the connection `finops_alerts`."""
    with AlertSink(tmp_path / "alerts.jsonl", echo=lambda line: None) as sink:
        monkeypatch.setenv("AIRFLOW_CONN_FINOPS_ALERTS", json.dumps({"conn_type": "http", "host": sink.url}))
        yield sink


@pytest.fixture
def mail(monkeypatch):
    """The SMTP stand-in (aiosmtpd) behind the connection `finops_alerts_email`."""
    with MailSink(echo=lambda line: None) as sink:
        monkeypatch.setenv("AIRFLOW_CONN_FINOPS_ALERTS_EMAIL", json.dumps(sink.connection(to="a@example.com, b@example.com")))
        yield sink
