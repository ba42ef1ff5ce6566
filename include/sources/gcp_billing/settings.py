"""Defaults of the GCP billing source."""

RESOURCE_NAME = "billing_export"
DEFAULT_LOOKBACK_DAYS = 5  # incremental runs re-read this far before the newest export batch loaded
DEFAULT_PARTITION_SLACK_DAYS = 1  # the partition filter starts this many days before the export-time window
DEFAULT_MONTH_TAIL_DAYS = 40  # invoice-month reloads read exports this long after month end
DEFAULT_PAGE_SIZE = 20_000  # rows per result page asked of BigQuery (which also caps a page at 10-20 MB)
BATCH_ROWS = 60_000  # result pages are transformed and yielded in batches of at least this many rows (pages.batches)
BATCH_BYTES = 48 << 20  # ... or of this much Arrow data, whichever comes first (60K rows of the bench's pages: 51 MiB)
PAGE_THREADS = 2  # batches of result pages transformed side by side (Arrow compute releases the GIL)
PAGES_AHEAD = 1  # ... with this many more queued for them (pages.transformed)
