-- Daily AWS cost from the CUR line items. Rebuilt into a side table and swapped in atomically,
-- so readers never see a half-built table and running it twice gives the same result.
DROP TABLE IF EXISTS finops.aws_cost_daily__next;
CREATE TABLE finops.aws_cost_daily__next AS finops.aws_cost_daily;

INSERT INTO finops.aws_cost_daily__next
SELECT
    billing_period,
    toDate(line_item_usage_start_date, 'UTC')                   AS usage_date,
    ifNull(bill_payer_account_id, '')                           AS payer_account_id,
    ifNull(line_item_usage_account_id, '')                      AS usage_account_id,
    ifNull(line_item_usage_account_name, '')                    AS usage_account_name,
    ifNull(line_item_product_code, '')                          AS product_code,
    ifNull(product_region_code, '')                             AS region,
    ifNull(line_item_line_item_type, '')                        AS line_item_type,
    ifNull(line_item_currency_code, 'USD')                      AS currency,
    sum(toDecimal128(ifNull(line_item_unblended_cost, 0), 10))      AS unblended_cost,
    sum(toDecimal128(ifNull(line_item_net_unblended_cost, 0), 10))  AS net_unblended_cost,
    sum(toDecimal128(ifNull(pricing_public_on_demand_cost, 0), 10)) AS public_on_demand_cost,
    sum(ifNull(line_item_usage_amount, 0))                      AS usage_amount,
    count()                                                     AS line_items
FROM finops.aws_cur_line_items
GROUP BY ALL;

EXCHANGE TABLES finops.aws_cost_daily__next AND finops.aws_cost_daily;
DROP TABLE finops.aws_cost_daily__next;
