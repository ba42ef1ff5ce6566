-- The CUR line items that count: for each billing period, the rows of its newest completed load.
-- A load that failed half way (not in _dlt_loads) or an older delivery not yet pruned is ignored,
-- so a re-delivered month is never counted twice and never partially.
CREATE OR REPLACE VIEW finops.aws_cur_line_items AS
SELECT *
FROM finops_raw.aws_costs__cur_line_items
WHERE (billing_period, _dlt_load_id) IN
(
    SELECT billing_period, max(_dlt_load_id)
    FROM finops_raw.aws_costs__cur_line_items
    WHERE _dlt_load_id IN (SELECT load_id FROM finops_raw.aws_costs___dlt_loads WHERE status = 0)
    GROUP BY billing_period
);
