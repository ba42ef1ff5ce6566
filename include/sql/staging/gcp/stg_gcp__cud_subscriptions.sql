-- Google Cloud's CUD metadata export (cud_subscriptions_export, one daily snapshot of the billing account's
-- spend-based committed use discounts), as loaded: every snapshot of a completed load, one load per snapshot
-- (include/sources/gcp_billing/cud_source.py). A snapshot without commitments is one sentinel row with
-- snapshot_rows = 0 and no subscription_instance_id, so an emptied snapshot is told from no snapshot.
-- snapshot_loaded_at: the load's time (dlt load ids are epoch seconds), when the snapshot was read.
SELECT
    *,
    toDateTime(toUInt32(splitByChar('.', _dlt_load_id)[1]), 'UTC') AS snapshot_loaded_at
FROM {{ source('gcp_costs', 'cud_subscriptions') }}
WHERE {{ completed_loads('gcp_costs') }}
