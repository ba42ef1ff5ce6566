"""finops.focus_1_2 (the FOCUS 1.2 view of finops.focus) checked by the FinOps Foundation's FOCUS validator
(PyPI focus-validator, FOCUS 1.2 model bundled, offline) on the demo data, with the applicability criteria AWS and GCP meet.

The validator lives in its own venv (`make focus-validator`, built by `make test`). The only failures
allowed are the validator's own errors listed, with the spec's text, in
tools/focus_validator/known_validator_errors.txt; the real requirement of each is checked here on the data.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.helpers.focus_validator import FAILED, SUMMARY, known_errors, run_validator


@pytest.fixture(scope="module")
def validated(rill_data, tmp_path_factory):
    """finops.focus_1_2 (finops.focus, a FOCUS 1.4 dataset, in the 1.2 shape) of the demo, as parquet."""
    import clickhouse_connect

    from include.transform.export import export_table

    workdir = tmp_path_factory.mktemp("focus_validator")
    data_file = workdir / "focus_1_2.parquet"
    client = clickhouse_connect.get_client(dsn=f"chdb://{rill_data['data_dir'] / 'chdb'}")
    try:
        assert export_table(client, "focus_1_2", data_file) == client.query("SELECT count() FROM finops.focus").result_rows[0][0]
    finally:
        client.close()
    return data_file, run_validator(data_file, workdir)


def test_the_focus_dataset_passes_the_official_validator(validated):
    _, output = validated
    total, passed, failed, skipped = (int(n) for n in SUMMARY.search(output).groups())
    print(f"focus-validator 2.2.1: total {total}, pass {passed}, fail {failed}, skipped {skipped}")
    unexpected = sorted(set(FAILED.findall(output)) - known_errors())
    assert not unexpected, "\n".join(line for line in output.splitlines() if any(r in line for r in unexpected))
    assert total == passed + failed + skipped and passed > 300


def test_what_the_validator_gets_wrong_holds_on_the_data(validated):
    """The spec's real requirement behind every documented validator error."""
    data_file, _ = validated
    db = duckdb.connect()
    focus = f"read_parquet('{data_file}')"

    def violations(where: str) -> int:
        return db.sql(f"SELECT count(*) FROM {focus} WHERE {where}").fetchone()[0]

    assert violations("CapacityReservationId IS NOT NULL AND ChargeCategory = 'Usage' "
                      "AND CapacityReservationStatus IS NULL") == 0
    assert violations("CommitmentDiscountId IS NOT NULL AND ChargeCategory = 'Usage' "
                      "AND CommitmentDiscountStatus IS NULL") == 0
    # AWS: the CUR's invoice id, on every row of an invoiced month; GCP: the export carries none.
    assert violations("x_Provider = 'aws' AND InvoiceId IS NULL") == 0
    assert violations("x_Provider = 'gcp' AND InvoiceId IS NOT NULL") == 0
