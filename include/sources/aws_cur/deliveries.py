"""Finding Data Exports deliveries (CUR 2.0, FOCUS 1.2) in S3: the S3 filesystem, folder listing,
manifests, and the newest delivery of each billing period."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .errors import CurInputError

PERIOD_FOLDER = re.compile(r"BILLING_PERIOD=(\d{4}-\d{2})")


@dataclass
class BillingPeriodDelivery:
    """The newest delivery of one billing period: its manifest and the data files it lists."""

    billing_period: str  # YYYY-MM
    manifest_path: str | None
    execution_id: str | None
    data_files: list[str] = field(default_factory=list)
    manifest_mtime: str | None = None
    column_types: dict = field(default_factory=dict)  # legacy CSV: header -> arrow type
    column_names: list[str] = field(default_factory=list)  # Data Exports: the manifest's `columns`

    @property
    def key(self) -> str:
        """What identifies this delivery: a re-delivery of the period has another key."""
        return f"{self.execution_id or ''}|{self.manifest_mtime or ''}|{len(self.data_files)}"


def s3_filesystem(credentials: dict):
    """A pyarrow S3 filesystem from connection-derived credentials (keys, session token, endpoint)."""
    from pyarrow import fs

    endpoint = credentials.get("endpoint_url")
    kwargs = {
        "access_key": credentials.get("aws_access_key_id"),
        "secret_key": credentials.get("aws_secret_access_key"),
        "session_token": credentials.get("aws_session_token"),
        "region": credentials.get("region_name") or "us-east-1",
    }
    if endpoint:
        scheme, _, host = endpoint.partition("://")
        kwargs.update(endpoint_override=host or scheme, scheme=scheme if host else "https")
    return fs.S3FileSystem(**{k: v for k, v in kwargs.items() if v is not None})


def list_folders(filesystem, path: str):
    """The entries under `path` (sorted), or a clear error naming it."""
    from pyarrow import fs

    try:
        return sorted(filesystem.get_file_info(fs.FileSelector(path, allow_not_found=True)), key=lambda i: i.path)
    except OSError as exc:
        raise CurInputError(f"cannot list s3://{path}: {exc}") from exc


def read_manifest(filesystem, path: str, files_key: str) -> tuple[dict, list[str], str | None] | None:
    """(manifest, its data file list, its modification time), or None while it is not delivered yet."""
    try:
        with filesystem.open_input_stream(path) as stream:
            manifest = json.loads(stream.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CurInputError(f"cannot read manifest s3://{path}: {exc}") from exc
    files = manifest.get(files_key) or []
    if not files:
        raise CurInputError(f"manifest s3://{path} lists no {files_key}")
    mtime = filesystem.get_file_info(path).mtime
    return manifest, files, mtime.isoformat() if mtime else None


def discover_cur2_deliveries(filesystem, bucket: str, prefix: str, export_name: str) -> list[BillingPeriodDelivery]:
    """Billing periods of a CUR 2.0 export and the files of each one's newest delivery.

    The manifest (`metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json`) is written after all data
    files, so it is the source of truth; a period without a manifest is still being delivered and
    is skipped.
    """
    from pyarrow import fs

    base = "/".join(part.strip("/") for part in (bucket, prefix, export_name) if part.strip("/"))
    deliveries = []
    for info in list_folders(filesystem, f"{base}/metadata"):
        match = PERIOD_FOLDER.search(info.path)
        if info.type != fs.FileType.Directory or not match:
            continue
        found = read_manifest(filesystem, f"{info.path}/{export_name}-Manifest.json", "dataFiles")
        if found is None:
            continue
        manifest, files, mtime = found
        deliveries.append(
            BillingPeriodDelivery(
                match.group(1),
                f"{info.path}/{export_name}-Manifest.json",
                manifest.get("executionId"),
                [f.removeprefix("s3://") for f in files],
                mtime,
                column_names=[c["name"] for c in manifest.get("columns") or [] if isinstance(c, dict) and "name" in c],
            )
        )
    return deliveries
