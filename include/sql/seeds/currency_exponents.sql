-- Minor-unit exponents for Stripe amounts (ISO 4217; Stripe's zero- and three-decimal currencies).
-- Currencies not listed have 2 decimals.
SELECT currency, exponent, toUInt64(exp10(exponent)) AS divisor
FROM values(
    'currency String, exponent UInt8',
    ('bif', 0), ('clp', 0), ('djf', 0), ('gnf', 0), ('jpy', 0), ('kmf', 0), ('krw', 0), ('mga', 0),
    ('pyg', 0), ('rwf', 0), ('ugx', 0), ('vnd', 0), ('vuv', 0), ('xaf', 0), ('xof', 0), ('xpf', 0),
    ('bhd', 3), ('jod', 3), ('kwd', 3), ('omr', 3), ('tnd', 3)
)
