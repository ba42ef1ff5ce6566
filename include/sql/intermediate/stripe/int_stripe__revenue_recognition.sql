-- Invoiced revenue per month and settlement currency, for recognised revenue and sales tax:
-- finops.int_stripe__revenue_recognition (month × currency, major units), from invoices paid through Stripe.
--   invoiced_paid  what the paid invoices' payments collected, excluding tax: the invoice's total_excluding_tax less
--                  what its pre-payment credit notes took off before payment (excluding their VAT: x
--                  pre_payment_amount / total), x amount_paid / what was due before the customer balance (total
--                  less those credit notes), in the month its payment reached the ledger (its balance
--                  transaction's created; paid_at when it cannot be linked): the cash side of those invoices
--   recognised     the same amounts spread over the service periods of their lines, by the second (an
--                  annual plan paid up front: 1/365 a day), and the part paid from the customer balance, in the
--                  invoice's currency: a credit an invoice left on the balance (total < 0) always, a use of it as
--                  far as credit left by the customer's earlier invoices covers it (balance_recognised). Each
--                  line's share of the invoice is its amount less its discount_amounts; a line without a period
--                  counts when it starts. A refund of a payment (not failed or canceled) takes back amount /
--                  amount_paid of what the payments collected: less invoiced_paid when it reached the ledger, and
--                  less recognised as the invoice earned it, what fell in months before the refund's in the
--                  refund's month (a plan refunded in full earns nothing after its refund). What a post-payment
--                  credit note credits to the customer balance (its post-payment amount less what it refunded and
--                  credited out of band) takes its amount excluding VAT back the same way, from when it took effect,
--                  in the invoice's currency, and is a credit on the balance that later invoices' use of it earns
--                  (as a credit an invoice left there); without the credit notes' `refunds` loaded, it cannot be told
--                  from a refund and is not taken back
--   sales_tax      total - total_excluding_tax (VAT / sales tax collected, not revenue), when its payment reached
--                  the ledger, less the VAT a refund gives back (its share of what the payments collected, as Stripe
--                  Tax splits a refund by the invoice's tax rate), less the VAT its credit notes give back (the VAT
--                  of a refund a credit note made is the credit note's). A credit note (not void) holds VAT total - total_excluding_tax;
--                  its pre-payment part (that VAT x pre_payment_amount / total) was never collected: less VAT in
--                  the month the invoice was paid; its post-payment part less what was credited out of band (that
--                  VAT x (post_payment_amount - out_of_band_amount) / total) is given back: less VAT in the month
--                  of its effective_at (else created). Converted at the rate of its invoice's settlement.
-- Currency: the ledger's. An invoice is billed in its own currency, but its money reaches the ledger in the
-- currency of the balance transaction of the charge that paid it (the invoice's `payments` -> charge ->
-- balance_transaction), converted at that transaction's exchange_rate (invoice amount x exchange_rate =
-- settlement amount, Stripe's definition); an invoice paid in parts, each part (its payment's amount_paid over
-- what all its payments paid) at its own payment's rate and in its currency. All three amounts are converted
-- the same way, so the VAT and the deferral sit in the same currency as the cash they correct. An invoice whose
-- payment cannot be linked to a balance transaction (no payments loaded, a charge not loaded, paid from the
-- customer balance) stays in its own currency. A linked transaction in another currency without an exchange_rate fails the build.
-- Invoices marked paid outside Stripe (paid_out_of_band) are left out: their money, VAT included, never
-- reached the Stripe ledger (NULL, on rows loaded before the column existed, counts as paid through Stripe);
-- so are their credit notes, and those of invoices not paid.
-- Rebuilt in full: a paid invoice's spread reaches months on both sides of the month it was paid in.
{%- set has_invoices = has_column('stripe_revenue__invoices', 'total_excluding_tax') and has_column('stripe_revenue__invoices', 'lines') %}
{%- set has_out_of_band = has_column('stripe_revenue__invoices', 'paid_out_of_band') %}
{%- set has_payments = has_column('stripe_revenue__invoices', 'payments') and has_column('stripe_revenue__charges', 'balance_transaction') %}
{%- set has_credit_notes = has_column('stripe_revenue__credit_notes', 'total_excluding_tax') and has_column('stripe_revenue__credit_notes', 'post_payment_amount') %}
{%- set has_refunds = has_payments and has_column('stripe_revenue__refunds', 'charge') and has_column('stripe_revenue__refunds', 'balance_transaction') %}
{%- set has_note_refunds = has_credit_notes and has_column('stripe_revenue__credit_notes', 'refunds') %}
{#- each customer's invoices in order of payment, credits first within a second (balance_recognised's three levels) -#}
{%- set by_payment = 'PARTITION BY customer, currency ORDER BY paid_at, from_balance, id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW' %}
{#- An amount (Decimal) in the settlement currency: x rate_numerator / rate_denominator, the settlement's rate kept
    as a fraction and divided once, so that a blended rate (1.1866666666...) is never truncated before it multiplies. -#}
{% macro settled(amount) -%}
{{ mul_div(amount, 'rate_numerator', 'rate_denominator', if_zero='toDecimal128(0, 10)') }}
{%- endmacro %}
{%- if has_invoices %}
WITH
    paid AS (
        SELECT *
        FROM (SELECT id, customer, status, lower(currency) AS currency, currency_exponent, total, total_excluding_tax,
                     amount_paid, paid_at, lines,
                     {{ 'paid_out_of_band' if has_out_of_band else 'CAST(NULL, \'Nullable(Bool)\')' }} AS paid_out_of_band,
                     {{ 'payments' if has_payments else 'CAST(NULL, \'Nullable(String)\')' }} AS payments
              FROM {{ ref('stg_stripe__invoices') }})
        WHERE status = 'paid' AND paid_at IS NOT NULL AND NOT ifNull(paid_out_of_band, false)
    ),
{%- if has_payments %}
    payment_refs AS (
        -- the invoice's successful payments: a charge, or a PaymentIntent (its succeeded charge), and how much of
        -- the invoice each paid (amount_paid, in the invoice's currency)
        SELECT id AS invoice, currency AS invoice_currency, JSONExtractString(p, 'charge') AS charge,
               JSONExtractString(p, 'payment_intent') AS payment_intent,
               JSONExtract(p, 'amount_paid', 'Nullable(Int64)') AS amount_paid
        FROM paid
        ARRAY JOIN JSONExtractArrayRaw(ifNull(payments, '[]')) AS p
        WHERE JSONExtractString(p, 'status') = 'paid'
    ),
    charges AS (
        SELECT id, ifNull(payment_intent, '') AS payment_intent, balance_transaction
        FROM ({{ stripe_current('charges') }})
        WHERE status = 'succeeded' AND ifNull(balance_transaction, '') != ''
    ),
    linked AS (
        SELECT r.invoice AS invoice, r.invoice_currency AS invoice_currency, r.amount_paid AS amount_paid,
               c.id AS charge, c.balance_transaction AS balance_transaction
        FROM payment_refs AS r INNER JOIN charges AS c ON c.id = r.charge
        WHERE r.charge != ''
        UNION ALL
        SELECT r.invoice, r.invoice_currency, r.amount_paid, c.id, c.balance_transaction
        FROM payment_refs AS r INNER JOIN charges AS c ON c.payment_intent = r.payment_intent
        WHERE r.charge = '' AND r.payment_intent != ''
    ),
    settled_payments AS (
        -- each linked payment in its balance transaction's currency, at its rate (invoice currency -> settlement
        -- currency; a conversion without a rate is an error, not a guess: the throwIf condition holds on its own,
        -- whatever rows the if() evaluates it on), with what it paid of the invoice
        SELECT
            l.invoice AS invoice,
            l.charge AS charge,
            lower(ifNull(b.currency, '')) AS currency,
            currency != l.invoice_currency AS is_converted,
            if(is_converted,
               {{ money('b.exchange_rate') }}
                   + toDecimal128(throwIf(is_converted AND ifNull(b.exchange_rate, 0) <= 0,
                                          'int_stripe__revenue_recognition: a paid invoice settled in another currency by a balance transaction without an exchange_rate'), 10),
               toDecimal128(1, 10)) AS rate,
            toDecimal128(ifNull(l.amount_paid, 0), 10) AS amount_paid,
            b.created AS settled_at
        FROM linked AS l INNER JOIN {{ ref('stg_stripe__balance_transactions') }} AS b ON b.id = l.balance_transaction
    ),
    settlement AS (
        -- the part of each invoice settled in each currency and month, as one factor: (what those payments paid x
        -- their rates) / (what all its payments paid), kept as that fraction, and when the first of them reached
        -- the ledger (ledger_at: the cash is counted then, not at the invoice's paid_at, which can fall in the
        -- next month). One payment: its rate; several (partial payments settle on different days, at different
        -- rates): each its share at its own rate; each weighs 1 when no amount_paid is known
        SELECT invoice, currency,
               sum({{ mul_money('weight', 'rate') }}) AS rate_numerator,
               toDecimal128(any(invoice_weight), 10) AS rate_denominator,
               min(settled_at) AS ledger_at
        FROM
        (
            SELECT *, sum(weight) OVER (PARTITION BY invoice) AS invoice_weight
            FROM
            (
                SELECT invoice, currency, rate, settled_at,
                       if(sum(amount_paid) OVER (PARTITION BY invoice) > 0, amount_paid, toDecimal128(1, 10)) AS weight
                FROM settled_payments
            )
        )
        GROUP BY invoice, currency, toStartOfMonth(settled_at, 'UTC')
    ),
{%- if has_refunds %}
    refunds AS (
        -- the refunds of the payments above (not failed or canceled: a failed one's money came back), each when it
        -- reached the ledger, with its amount in the invoice's currency (a refund is in its charge's currency) and
        -- its payment's settlement currency and rate
        SELECT r.id AS refund, p.invoice AS invoice, p.currency AS currency, p.rate AS rate,
               toDecimal128(r.amount, 10) AS amount,
               toDateTime64(if(ifNull(b.id, '') != '', b.created, r.created), 6, 'UTC') AS refunded_at
        FROM ({{ stripe_current('refunds') }}) AS r
        INNER JOIN settled_payments AS p ON p.charge = r.charge
        LEFT JOIN {{ ref('stg_stripe__balance_transactions') }} AS b ON b.id = r.balance_transaction
        WHERE ifNull(r.status, '') NOT IN ('failed', 'canceled') AND ifNull(r.amount, 0) > 0
    ),
{%- endif %}
{%- endif %}
{%- if has_credit_notes %}
    credited_before_payment AS (
        -- what the pre-payment credit notes of each invoice took off it before it was paid, less their VAT (minor
        -- units of the invoice's currency): the invoice collected that much less, so it defers that much less
        SELECT invoice,
               sum({{ mul_div('ifNull(pre_payment_amount, 0)', 'ifNull(total_excluding_tax, total)', 'total', 'toDecimal128(0, 10)') }}) AS amount,
               sum(toDecimal128(ifNull(pre_payment_amount, 0), 10)) AS amount_with_tax
        FROM {{ ref('stg_stripe__credit_notes') }}
        WHERE ifNull(status, '') != 'void' AND ifNull(pre_payment_amount, 0) != 0 AND ifNull(total, 0) != 0
        GROUP BY invoice
    ),
{%- endif %}
    note_refunds AS (
        -- the refunds the non-void credit notes made (their `refunds`: [{amount_refunded, refund}], the refund an id
        -- or, expanded, an object), with what each refunded
        {%- if has_note_refunds %}
        SELECT c.id AS note, if(JSONType(x, 'refund') = 'Object', JSONExtractString(x, 'refund', 'id'),
                               JSONExtractString(x, 'refund')) AS refund,
               toDecimal128(JSONExtractInt(x, 'amount_refunded'), 10) AS amount
        FROM {{ ref('stg_stripe__credit_notes') }} AS c
        ARRAY JOIN JSONExtractArrayRaw(ifNull(c.refunds, '[]')) AS x
        WHERE ifNull(c.status, '') != 'void'
        {%- else %}
        SELECT '' AS note, '' AS refund, toDecimal128(0, 10) AS amount WHERE 0
        {%- endif %}
    ),
{%- if has_note_refunds %}
    credited_to_balance AS (
        -- what each post-payment credit note (not void) of a paid invoice credited to the customer balance: its
        -- post-payment amount less what it refunded and what it credited out of band (minor units of the invoice's
        -- currency, with VAT: amount_with_tax), and that less its VAT (x total_excluding_tax / total: amount)
        SELECT c.id AS note, p.id AS invoice, ifNull(p.customer, '') AS customer, p.currency AS currency,
               toDateTime64(ifNull(c.effective_at, c.created), 6, 'UTC') AS effective_at,
               greatest(toDecimal128(ifNull(c.post_payment_amount, 0) - ifNull(c.out_of_band_amount, 0), 10)
                            - ifNull(r.amount, toDecimal128(0, 10)), toDecimal128(0, 10)) AS amount_with_tax,
               {{ mul_div('amount_with_tax', 'ifNull(c.total_excluding_tax, c.total)', 'c.total', 'toDecimal128(0, 10)') }} AS amount
        FROM {{ ref('stg_stripe__credit_notes') }} AS c
        INNER JOIN paid AS p ON p.id = c.invoice
        LEFT JOIN (SELECT note, sum(amount) AS amount FROM note_refunds GROUP BY note) AS r ON r.note = c.id
        WHERE ifNull(c.status, '') != 'void' AND ifNull(c.total, 0) != 0 AND amount_with_tax > 0
    ),
{%- endif %}
    funding AS (
        -- how each invoice was paid (minor units, excluding tax): `cash`, by its payments (what reached the ledger):
        -- amount_paid of what was due before the customer balance (total less pre-payment credit notes);
        -- `from_balance`, the rest, by the customer balance: negative for an invoice whose credit went to the
        -- balance (a downgrade's proration credit, total < 0). Nothing due, or amount_paid unknown: all cash.
        SELECT
            p.id AS id,
            ifNull(p.customer, '') AS customer,
            p.currency AS currency,
            p.paid_at AS paid_at,
            toDecimal128(ifNull(p.total_excluding_tax, p.total), 10)
                {%- if has_credit_notes %} - ifNull(cbp.amount, toDecimal128(0, 10)){% endif %} AS billed,
            toDecimal128(ifNull(p.total, 0), 10)
                {%- if has_credit_notes %} - ifNull(cbp.amount_with_tax, toDecimal128(0, 10)){% endif %} AS due,
            multiIf(p.amount_paid IS NULL OR due = 0, billed,
                    due < 0, toDecimal128(0, 10),
                    {{ mul_div('billed', 'least(greatest(p.amount_paid, 0), due)', 'due') }}) AS cash,
            billed - cash AS from_balance
        FROM paid AS p
        {%- if has_credit_notes %}
        LEFT JOIN credited_before_payment AS cbp ON cbp.invoice = p.id
        {%- endif %}
    ),
    balance_movements AS (
        -- what each invoice took from (or left on) the customer balance, and what credit notes credited to it
        SELECT id, customer, currency, toDateTime64(paid_at, 6, 'UTC') AS paid_at, billed, from_balance FROM funding
        {%- if has_note_refunds %}
        UNION ALL
        -- a credit note's credit, when it took effect: a credit on the balance as a credit an invoice leaves there
        -- (taken off its own invoice's revenue in `invoices`, not here: its id matches no invoice's)
        SELECT note, customer, currency, effective_at, toDecimal128(0, 10), -amount FROM credited_to_balance
        {%- endif %}
    ),
    balance_recognised AS (
        -- what of each invoice's from_balance is recognised over its lines, per customer and currency in order of
        -- payment (credits first within a second): a credit left on the balance always (it lowers what its lines
        -- earn); a use of the balance as far as credit left by earlier invoices covers it. The rest (a credit granted
        -- outside invoices, a concession; a too-small invoice carried to the balance) is neither recognised nor
        -- counted as paid: it earns nothing but the cash that later pays it. Uncovered use so far = -min(0, lowest
        -- running credit), the running credit being -(running sum of from_balance).
        SELECT id, billed, from_balance - (uncovered - lagInFrame(uncovered, 1, toDecimal128(0, 10)) OVER by_payment) AS recognised
        FROM
        (
            SELECT *,
                   -least(toDecimal128(0, 10), min(credit) OVER by_payment) AS uncovered
            FROM
            (
                SELECT *, -sum(from_balance) OVER by_payment AS credit
                FROM balance_movements
                WINDOW by_payment AS ({{ by_payment }})
            )
            WINDOW by_payment AS ({{ by_payment }})
        )
        WINDOW by_payment AS ({{ by_payment }})
    ),
    invoices AS (
        -- the cash part of each invoice, one row per settlement currency and month (is_cash); each refund of its
        -- payments, as a negative cash part (`part`: the refund's id); and the recognised part paid from the customer
        -- balance, in the invoice's own currency (the balance's). `tax`: the VAT of the amount (minor units, before
        -- the row's rate); `not_before`: no month before this one's gets any of the row's spread (a refund takes back
        -- what its invoice had recognised before it in its own month, and the rest as the invoice would have earned it)
        SELECT
            p.id AS id,
            true AS is_cash,
            '' AS part,
            {%- if has_payments %}
            -- one row per settlement currency of the invoice (one, unless its payments settled in several)
            ifNull(s.invoice, '') != '' AS is_linked,
            if(is_linked, s.currency, p.currency) AS currency,
            if(is_linked, s.rate_numerator, toDecimal128(1, 10)) AS rate_numerator,
            if(is_linked, s.rate_denominator, toDecimal128(1, 10)) AS rate_denominator,
            {%- else %}
            p.currency AS currency,
            toDecimal128(1, 10) AS rate_numerator,
            toDecimal128(1, 10) AS rate_denominator,
            {%- endif %}
            p.currency_exponent AS currency_exponent,
            toDecimal128(ifNull(p.total, 0) - ifNull(p.total_excluding_tax, p.total), 10) AS tax,
            f.billed AS whole_amount,
            -- what the payments of the invoice collected, excluding tax (minor units): what its lines defer
            f.cash AS amount_excluding_tax,
            {%- if has_payments %}
            -- when the payment reached the ledger, where the cash revenue it corrects is
            if(is_linked, toDateTime64(s.ledger_at, 6, 'UTC'), toDateTime64(p.paid_at, 6, 'UTC')) AS paid_at,
            {%- else %}
            toDateTime64(p.paid_at, 6, 'UTC') AS paid_at,
            {%- endif %}
            toDateTime64(0, 6, 'UTC') AS not_before,
            p.lines AS lines
        FROM paid AS p
        INNER JOIN funding AS f ON f.id = p.id
        {%- if has_payments %}
        LEFT JOIN settlement AS s ON s.invoice = p.id
        {%- endif %}
        {%- if has_refunds %}
        UNION ALL
        -- a refund of `amount` takes back amount / amount_paid of what the payments collected, excluding tax and
        -- VAT alike (Stripe Tax splits a refund by the invoice's tax rate), at its payment's settlement rate; the
        -- VAT of a refund a credit note made is the credit note's (credit_notes below)
        SELECT p.id, true, r.refund, true, r.currency, -{{ mul_money('r.amount', 'r.rate') }},
               toDecimal128(p.amount_paid, 10), p.currency_exponent,
               if(r.refund IN (SELECT refund FROM note_refunds), toDecimal128(0, 10),
                  toDecimal128(p.amount_paid, 10) - f.cash),
               f.billed, f.cash, r.refunded_at, r.refunded_at, p.lines
        FROM refunds AS r
        INNER JOIN paid AS p ON p.id = r.invoice
        INNER JOIN funding AS f ON f.id = p.id
        WHERE ifNull(p.amount_paid, 0) > 0
        {%- endif %}
        UNION ALL
        SELECT p.id, false, '',{% if has_payments %} false,{% endif %} p.currency, toDecimal128(1, 10), toDecimal128(1, 10),
               p.currency_exponent, toDecimal128(0, 10), b.billed, b.recognised, toDateTime64(p.paid_at, 6, 'UTC'),
               toDateTime64(0, 6, 'UTC'), p.lines
        FROM paid AS p
        INNER JOIN balance_recognised AS b ON b.id = p.id
        WHERE b.recognised != 0
        {%- if has_note_refunds %}
        UNION ALL
        -- what a credit note credited to the customer balance takes back of its invoice, excluding VAT, in the
        -- invoice's currency (the balance's): its share of each line, what fell in months before it in its month
        SELECT p.id, false, n.note,{% if has_payments %} false,{% endif %} p.currency, toDecimal128(1, 10),
               toDecimal128(1, 10), p.currency_exponent, toDecimal128(0, 10), f.billed, -n.amount, n.effective_at,
               n.effective_at, p.lines
        FROM credited_to_balance AS n
        INNER JOIN paid AS p ON p.id = n.invoice
        INNER JOIN funding AS f ON f.id = p.id
        {%- endif %}
    ),
{%- if has_credit_notes %}
    credit_notes AS (
        -- the non-void credit notes of the invoices above, in their invoice's settlement currency and rate
        SELECT
            i.currency AS currency,
            i.rate_numerator AS rate_numerator,
            i.rate_denominator AS rate_denominator,
            intExp10(ifNull(i.currency_exponent, 2)) AS divisor,
            i.paid_at AS paid_at,
            ifNull(c.effective_at, c.created) AS effective_at,
            ifNull(c.total, 0) AS note_total,
            ifNull(c.total, 0) - ifNull(c.total_excluding_tax, c.total) AS note_tax,
            ifNull(c.pre_payment_amount, 0) AS pre_payment,
            ifNull(c.post_payment_amount, 0) - ifNull(c.out_of_band_amount, 0) AS post_payment
        FROM {{ ref('stg_stripe__credit_notes') }} AS c
        INNER JOIN invoices AS i ON i.id = c.invoice
        WHERE ifNull(c.status, '') != 'void' AND i.is_cash AND i.part = ''
    ),
{%- endif %}
    lines AS (
        SELECT
            id,
            is_cash,
            part,
            currency,
            rate_numerator,
            rate_denominator,
            intExp10(ifNull(currency_exponent, 2)) AS divisor,
            amount_excluding_tax AS invoice_amount,
            whole_amount,
            paid_at,
            not_before,
            JSONExtractInt(line, 'amount')
                - arraySum(arrayMap(d -> JSONExtractInt(d, 'amount'),
                                    JSONExtractArrayRaw(line, 'discount_amounts'))) AS weight,
            toDateTime64(JSONExtractInt(line, 'period', 'start'), 6, 'UTC') AS period_start,
            greatest(toDateTime64(JSONExtractInt(line, 'period', 'end'), 6, 'UTC'), period_start) AS period_end
        FROM invoices
        ARRAY JOIN JSONExtractArrayRaw(ifNull(lines, '[]')) AS line
    ),
    shares AS (
        -- each part of the invoice's amount excluding tax split over its lines by weight; when the weights add up to 0
        -- (prorations that net a renewal to 0.00), each line its own weight (a part its share of it) and the first
        -- line what the part differs from their sum (all weights 0: the whole part at the first line's start, or when
        -- paid)
        SELECT
            currency,
            rate_numerator,
            rate_denominator,
            divisor,
            period_start,
            period_end,
            not_before,
            if(total_weight = 0,
               {{ mul_div('weight', 'invoice_amount', 'whole_amount', if_zero='toDecimal128(weight, 10)') }}
                   + if(line_number = 1, toDecimal128(invoice_amount, 10), toDecimal128(0, 10)),
               toDecimal128(invoice_amount, 10) * weight / total_weight) AS amount
        FROM
        (
            SELECT
                *,
                -- per row of `invoices` (an invoice's part settled in one currency and month, a refund, or the part
                -- paid from the balance)
                sum(weight) OVER (PARTITION BY id, currency, is_cash, part, paid_at) AS total_weight,
                row_number() OVER (PARTITION BY id, currency, is_cash, part, paid_at ORDER BY period_start, weight) AS line_number
            FROM lines
        )
        UNION ALL
        SELECT currency, rate_numerator, rate_denominator, intExp10(ifNull(currency_exponent, 2)), paid_at, paid_at,
               not_before, amount_excluding_tax
        FROM invoices
        WHERE JSONLength(ifNull(lines, '[]')) = 0
    ),
    spread AS (
        SELECT
            currency,
            -- what a refund takes back of months before its own, in its own month
            greatest(month_start, toStartOfMonth(toDate(not_before, 'UTC'))) AS month,
            {{ settled('recognised_invoice') }} AS recognised
        FROM
        (
            SELECT
                currency,
                rate_numerator,
                rate_denominator,
                not_before,
                month_start,
                if(period_end = period_start,
                   amount,
                   amount * toInt64(dateDiff('second',
                                             greatest(period_start, toDateTime64(month_start, 6, 'UTC')),
                                             least(period_end, toDateTime64(addMonths(month_start, 1), 6, 'UTC'))))
                          / toInt64(dateDiff('second', period_start, period_end))) / divisor AS recognised_invoice
            FROM shares
            ARRAY JOIN arrayMap(n -> addMonths(toStartOfMonth(toDate(period_start, 'UTC')), toInt32(n)),
                                range(toUInt32(dateDiff('month', toDate(period_start, 'UTC'),
                                                        -- a period ends in the month of its last microsecond; an
                                                        -- instant (a one-off line, paid_at) in its own month
                                                        toDate(greatest(period_start, period_end - toIntervalMicrosecond(1)), 'UTC'))) + 1)) AS month_start
            WHERE period_end = period_start OR toDateTime64(month_start, 6, 'UTC') < period_end
        )
    ),
    rows AS (
        SELECT formatDateTime(month, '%Y-%m') AS month, currency,
               toDecimal128(0, 10) AS invoiced_paid, recognised, toDecimal128(0, 10) AS sales_tax
        FROM spread
        UNION ALL
        SELECT formatDateTime(toDate(paid_at, 'UTC'), '%Y-%m'), currency,
               {{ settled('amount_excluding_tax / intExp10(ifNull(currency_exponent, 2))') }},
               toDecimal128(0, 10),
               {{ settled('tax / intExp10(ifNull(currency_exponent, 2))') }}
        FROM invoices
        WHERE is_cash
{%- if has_credit_notes %}
        -- VAT a credit note gives back: its pre-payment share when the invoice was paid, its post-payment share
        -- (less what was credited out of band) when it took effect
        UNION ALL
        SELECT formatDateTime(toDate(paid_at, 'UTC'), '%Y-%m'), currency, toDecimal128(0, 10), toDecimal128(0, 10),
               -{{ settled(mul_div('note_tax', 'pre_payment', 'note_total', 'toDecimal128(0, 10)') ~ ' / divisor') }}
        FROM credit_notes
        WHERE pre_payment != 0
        UNION ALL
        SELECT formatDateTime(toDate(effective_at, 'UTC'), '%Y-%m'), currency, toDecimal128(0, 10), toDecimal128(0, 10),
               -{{ settled(mul_div('note_tax', 'post_payment', 'note_total', 'toDecimal128(0, 10)') ~ ' / divisor') }}
        FROM credit_notes
        WHERE post_payment != 0
{%- endif %}
    )
SELECT month, ifNull(currency, '') AS currency, sum(invoiced_paid) AS invoiced_paid, sum(recognised) AS recognised,
       sum(sales_tax) AS sales_tax
FROM rows
GROUP BY month, currency
{%- else %}
SELECT '' AS month, '' AS currency, toDecimal128(0, 10) AS invoiced_paid, toDecimal128(0, 10) AS recognised,
       toDecimal128(0, 10) AS sales_tax
WHERE 0
{%- endif %}
