"""Run a dlt source into the destination chosen by the `finops_destination` Variable.

One dlt dataset per provider (`aws_costs`, `gcp_costs`, `stripe_revenue`). On `filesystem` dlt writes
parquet under `<data dir>/raw/<dataset>/<table>/`; on `clickhouse` it loads tables named
`<dataset>___<table>` into the database of the ClickHouse connection.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from include import settings
from include.locks import PipelineBusyError, exclusive_lock  # noqa: F401 - re-exported for callers

log = logging.getLogger(__name__)


class LoadError(RuntimeError):
    """A dlt load failed; the message leads with the root cause (which names the file or object)."""


def root_cause(exc: BaseException) -> BaseException:
    """The first exception in the chain that dlt did not raise: the source's own error."""
    while type(exc).__module__.split(".")[0] == "dlt":
        nested = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if nested is None:
            break
        exc = nested
    return exc


def configure_dlt() -> None:
    """dlt's settings, as environment variables (defaults only: a value set outside wins). Call it
    before the first `import dlt` of a process: dlt reads some of them when it is imported."""
    # Telemetry off; and no lookup of dlt config in Airflow Variables (`dlt_secrets_toml`): sources get
    # their configuration from Airflow connections and Variables explicitly, in the loaders.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")
    # dlt keeps its home (telemetry id, local state) under DLT_DATA_DIR; as root it would default to /var.
    os.environ.setdefault("DLT_DATA_DIR", str(settings.data_dir() / "dlt_home"))
    # Every raw row carries the id of the load that wrote it: the SQL layer reads only rows of
    # completed loads (listed in `_dlt_loads`), and the newest load of a billing period.
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    # Job files of a loaded package are deleted once it is loaded (remove_loaded_packages drops the rest).
    os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")


@contextmanager
def loading_modules() -> Iterator[None]:
    """Around a task's start-up imports (Airflow, the provider hooks, dlt, pyarrow: a few hundred
    thousand objects that live as long as the process): no garbage collection inside the block, and
    the first time in a process, everything alive at its end is frozen (`gc.freeze`).

    Otherwise each full collection (several while importing, more during the load) traverses all of
    those objects again: 0.1-0.2 s each on a 2-core worker, about half a second of a 1M-line-item CUR
    load. Objects created later are collected as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
        if was_enabled:
            gc.enable()


def make_destination(
    destination: str | None = None,
    clickhouse_conn_id: str = settings.CLICKHOUSE_CONN_ID,
    partition: str | None = None,
):
    """The dlt destination object for `filesystem` (local parquet) or `clickhouse` (server).

    `partition` (filesystem only) puts this load's files in a folder of their own,
    `<table>/<partition>/<load_id>.<file_id>.parquet`, so one billing period can be replaced alone.
    """
    configure_dlt()
    import dlt

    destination = destination or settings.destination_name()
    if destination == "filesystem":
        if partition:
            return dlt.destinations.filesystem(
                bucket_url=settings.raw_dir().as_uri(),
                layout="{table_name}/{partition}/{load_id}.{file_id}.{ext}",
                extra_placeholders={"partition": partition},
            )
        return dlt.destinations.filesystem(bucket_url=settings.raw_dir().as_uri())
    if destination == "clickhouse":
        from include.clickhouse import dlt_credentials

        return dlt.destinations.clickhouse(credentials=dlt_credentials(clickhouse_conn_id))
    raise ValueError(f"unknown destination {destination!r}")


def pipeline_lock(dataset_name: str) -> Any:
    """The lock that serialises every run of a pipeline: its dlt working folder and its raw data."""
    return exclusive_lock(settings.dlt_pipelines_dir() / f"{dataset_name}.lock", f"pipeline {dataset_name!r}")


def open_pipeline(dataset_name: str, destination: str | None = None, partition: str | None = None):
    """The dlt pipeline of a dataset, with its working folder under settings.dlt_pipelines_dir()."""
    configure_dlt()
    with loading_modules():
        import dlt

        return dlt.pipeline(
            pipeline_name=dataset_name,
            destination=make_destination(destination, partition=partition),
            dataset_name=dataset_name,
            pipelines_dir=str(settings.dlt_pipelines_dir()),
            # no dlt progress lines ("Resources 0/1"): the loaders log periods, files and rows
        )


def discard_pending_packages(dataset_name: str, destination: str | None = None) -> list[str]:
    """Abort the load packages a killed run left behind and rewind the local dlt state to before
    them; returns their ids. For pipelines whose destination depends on the package (a folder per
    billing period), where finishing a leftover package with the next run's destination would credit
    it to the wrong period. Rows a half-loaded package wrote are not in `_dlt_loads`, so no reader
    counts them; the caller re-extracts what they held."""
    with pipeline_lock(dataset_name):
        pipeline = open_pipeline(dataset_name, destination)
        pending = [*pipeline.list_extracted_load_packages(), *pipeline.list_normalized_load_packages()]
        if pending:
            log.warning("dataset %s: discarding load packages %s left by an interrupted run", dataset_name, pending)
            pipeline.abort_packages()
        if pipeline.has_pending_data:
            raise LoadError(f"dataset {dataset_name!r}: could not discard the pending load packages {pending}")
        return pending


def finish_pending_packages(pipeline) -> list[str]:
    """Normalize and load what a killed run left behind, into the destination it was meant for (the
    same for every package of these pipelines); returns the load ids finished."""
    if not pipeline.has_pending_data:
        return []
    pending = [*pipeline.list_extracted_load_packages(), *pipeline.list_normalized_load_packages()]
    log.warning("dataset %s: finishing load packages %s left by an interrupted run", pipeline.dataset_name, pending)
    info = pipeline.run()  # no data: normalizes and loads only the pending packages
    if info is not None:
        info.raise_on_failed_jobs()
    return pending


def remove_loaded_packages(pipeline) -> int:
    """Delete the working copies of completed load packages: the data is at the destination and
    recovery needs only pending packages (dlt otherwise keeps every package, personal data included)."""
    import shutil

    removed = 0
    for load_id in pipeline.list_completed_load_packages():
        shutil.rmtree(pipeline.get_load_package_info(load_id).package_path, ignore_errors=True)
        removed += 1
    return removed


# The folders of a dlt working directory that hold only load packages (one directory each).
PACKAGE_FOLDERS = ("normalize/extracted", "load/new", "load/normalized", "load/loaded")


def remove_interrupted_writes(pipeline) -> list[str]:
    """Delete the temporary files of dlt writes a killed run left half done; returns their names.

    dlt writes a package's state and job files, the pipeline state and schemas atomically: a temporary
    file at the root of their folder, then a rename. A run killed between the two leaves the temporary file,
    which no package owns and nothing ever removes. Call it under the pipeline lock (no run writing)."""
    import pathlib
    import re

    # dlt names its temporary files uniq_id(8): 16 hex digits. In a package folder any file is one
    # (packages are directories); beside the pipeline's state and schemas only those names are.
    temporary_name = re.compile(r"[0-9a-f]{16}")
    removed = []
    for folder in (*PACKAGE_FOLDERS, ".", "schemas"):
        root = pathlib.Path(pipeline.working_dir) / folder
        for entry in root.iterdir() if root.is_dir() else ():
            if entry.is_file() and (folder in PACKAGE_FOLDERS or temporary_name.fullmatch(entry.name)):
                entry.unlink(missing_ok=True)
                removed.append(str(entry.relative_to(pipeline.working_dir)))
    if removed:
        log.warning("dataset %s: removed files of writes an interrupted run left: %s", pipeline.dataset_name, removed)
    return removed


def run_pipeline(
    dataset_name: str, data: Any, destination: str | None = None, partition: str | None = None, **run_kwargs: Any
) -> dict:
    """Run `data` (a dlt source or resources) into `dataset_name`; return rows loaded per table.

    dlt's own load packages make a failed run leave the previously loaded tables as they were.
    """
    return run_pipeline_with_load_id(dataset_name, data, destination, partition, **run_kwargs)[0]


def run_pipeline_with_load_id(
    dataset_name: str, data: Any, destination: str | None = None, partition: str | None = None, **run_kwargs: Any
) -> tuple[dict, str | None]:
    """As run_pipeline; also returns the id of the load package (None when nothing was extracted).

    Runs of one dataset take turns (pipeline_lock). A package a killed run left behind is finished
    first, into the same destination; with a `partition` (the destination depends on the package)
    it must have been discarded beforehand (discard_pending_packages), else this refuses to run.
    """
    configure_dlt()
    from dlt.pipeline.exceptions import PipelineStepFailed

    run_kwargs.setdefault("loader_file_format", "parquet")
    with pipeline_lock(dataset_name):
        pipeline = open_pipeline(dataset_name, destination, partition)
        try:
            if partition and pipeline.has_pending_data:
                raise LoadError(
                    f"dataset {dataset_name!r} has load packages of an interrupted run; they must be "
                    f"discarded before loading partition {partition!r}"
                )
            finish_pending_packages(pipeline)
            info = pipeline.run(data, **run_kwargs)
            info.raise_on_failed_jobs()
        except PipelineStepFailed as exc:
            cause = root_cause(exc)
            raise LoadError(
                f"loading dataset {dataset_name!r} failed at dlt step {exc.step!r}: {type(cause).__name__}: {cause}"
            ) from exc
        normalize_info = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
        row_counts = {
            table: count
            for table, count in (normalize_info.row_counts.items() if normalize_info else ())
            if not table.startswith("_dlt")
        }
        load_id = info.loads_ids[-1] if info.loads_ids else None
        remove_loaded_packages(pipeline)
        remove_interrupted_writes(pipeline)
    log.info("dlt loaded %s into dataset %s: %s", pipeline.destination.destination_name, dataset_name, row_counts)
    return row_counts, load_id
