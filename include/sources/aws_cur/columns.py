"""Columns of CUR and FOCUS files in the raw tables' form: tag and cost category maps as JSON object
text, money and amounts as float64 (from numbers or number text), dates as UTC timestamps; a column of
another kind, or text that is not a number, is bad input."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from .errors import CurInputError

# The bytes a JSON string cannot hold as they are: control characters (below the space), the quote
# and the backslash. Scalars made from raw bytes: pa.scalar() would import pandas (pyarrow's pandas
# shim), a third of a second, whenever this module is imported.
_SPACE, _QUOTE, _BACKSLASH = pa.Array.from_buffers(pa.uint8(), 3, [None, pa.py_buffer(b' "\\')])


def _may_need_escaping(strings: pa.Array) -> bool:
    """Whether any string might need JSON escaping: one vectorised scan of the character bytes
    (bytes outside a sliced array's slice can only add a false positive), several times cheaper
    than a regex over every string. Tag keys and values rarely need any escaping."""
    if not (pa.types.is_string(strings.type) or pa.types.is_large_string(strings.type)):
        return True  # another layout (string_view keeps short strings outside the data buffer)
    data = strings.buffers()[2]
    if data is None:
        return False
    chars = pa.Array.from_buffers(pa.uint8(), data.size, [None, data])
    special = pc.or_(pc.less(chars, _SPACE), pc.or_(pc.equal(chars, _QUOTE), pc.equal(chars, _BACKSLASH)))
    return bool(pc.any(special).as_py())


def _json_escape(strings: pa.Array) -> pa.Array:
    if not _may_need_escaping(strings):
        return strings
    escaped = pc.replace_substring(strings, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    for control, replacement in (("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = pc.replace_substring(escaped, control, replacement)
    for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)):  # the rest as \u00XX (rare path)
        escaped = pc.replace_substring(escaped, chr(code), f"\\u{code:04x}")
    return escaped


def map_to_json(column: pa.Array) -> pa.Array:
    """A map<string, string|number> column as JSON object strings, computed column-wise in arrow.

    dlt stores nested types as JSON text on ClickHouse but as native maps in parquet; JSON strings
    keep the raw table identical on both destinations, so one set of SQL reads both.
    """
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array([map_to_json(chunk) for chunk in column.chunks], type=pa.string())
    keys, items = _json_escape(column.keys), column.items
    is_text = pa.types.is_string(items.type) or pa.types.is_large_string(items.type)
    # Each entry `"key":value` in as few passes over the data as the values allow.
    if is_text and items.null_count == 0:
        entries = pc.binary_join_element_wise('"', keys, '":"', _json_escape(items), '"', "")
    else:
        values = pc.binary_join_element_wise('"', _json_escape(items), '"', "") if is_text else pc.cast(items, pa.string())
        entries = pc.binary_join_element_wise('"', keys, '":', pc.fill_null(values, "null"), "")
    # `offsets` of a sliced array still index the whole `keys`/`items`, so this holds for slices too;
    # nulls are applied afterwards because arrow refuses a null mask together with sliced offsets.
    lists = pa.ListArray.from_arrays(column.offsets, entries)
    as_json = pc.binary_join_element_wise("{", pc.binary_join(lists, ","), "}", "")
    if column.null_count == 0:
        return as_json
    return pc.if_else(column.is_null(), pa.scalar(None, pa.string()), as_json)


def flat_columns_to_json(columns: dict[str, pa.Array]) -> pa.Array:
    """Flat key columns (`{"user:team": array}`) as one JSON object string per row; empty values
    are absent keys, as in CUR 2.0's maps.

    Built without nulls: each present entry carries its own trailing comma and absent ones are "",
    then one trim drops the last comma. (pyarrow's null_handling="skip" join drops rows whose
    inputs are all null, so it is not used.)"""
    rows = len(next(iter(columns.values())))
    entries = []
    for key, values in columns.items():
        values = pc.cast(values, pa.string())
        present = pc.fill_null(pc.and_kleene(pc.is_valid(values), pc.not_equal(values, "")), False)
        quoted_key = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '":"'
        entry = pc.binary_join_element_wise(quoted_key, pc.fill_null(_json_escape(values), ""), '",', "")
        entries.append(pc.if_else(present, entry, ""))
    joined = pc.binary_join_element_wise(*entries, "") if entries else pa.repeat(pa.scalar(""), rows)
    return pc.binary_join_element_wise("{", pc.utf8_rtrim(joined, characters=","), "}", "")


NUMERIC_SUFFIXES = ("_cost", "_rate", "_amount", "_fee", "_factor", "_discount", "_commitment", "_quantity",
                    "_for_usage", "_for_billing_period", "_to_date", "_hours", "_units")


def expected_kind(name: str) -> str | None:
    """`number`, `timestamp` or None (anything) for a CUR 2.0 column name."""
    if name.endswith("_to_date"):  # savings_plan_total_commitment_to_date is money, not a date
        return "number"
    if name.endswith("_date"):
        return "timestamp"
    if name.endswith(NUMERIC_SUFFIXES):
        return "number"
    return None


def conform_column(name: str, column: pa.Array, source_file: str, first_row: int = 1) -> pa.Array:
    """Money and amounts as float64, dates as UTC timestamps, whatever the file wrote; a column of
    another kind (a date in a cost column, say) is bad input, named with its file."""
    return conform_to_kind(name, column, expected_kind(name), f"CUR data file {source_file}", first_row)


def _text_to_number(name: str, column: pa.Array, where: str, first_row: int) -> pa.Array:
    """Number text as float64: AWS types some number columns `string` (CUR 2.0's rates and reserved units:
    `0.0104`, or '' where there is none). Text that is not a number is bad input, named with its row."""
    trimmed = pc.utf8_trim_whitespace(column)
    text = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, column.type), trimmed)
    try:
        return pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        pass
    for row, value in enumerate(text.to_pylist()):  # the rare path: find the value to name
        try:
            pc.cast(pa.array([value], column.type), pa.float64())
        except pa.ArrowInvalid:
            raise CurInputError(f"{where}: column {name} row {first_row + row} is "
                                f"{column[row].as_py()!r}, expected a number") from None
    raise CurInputError(f"{where}: column {name} cannot be read as numbers")


def conform_to_kind(name: str, column: pa.Array, expected: str | None, where: str, first_row: int = 1) -> pa.Array:
    """`column` as the `expected` kind ("number": float64, "timestamp": UTC; None: as it is); a column of
    another kind is bad input, named with `where` (the file) and the column (and the row of a value that is
    not a number). `first_row`: the 1-based row in the file of the column's first value. CUR and FOCUS files
    share it."""
    kind = column.type
    if expected is None or pa.types.is_null(kind):
        return column
    if expected == "number":
        if kind == pa.float64():
            return column
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            return pc.cast(column, pa.float64())
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return _text_to_number(name, column, where, first_row)
    elif pa.types.is_timestamp(kind):
        return column if kind.tz in ("UTC", "+00:00") else pc.cast(column, pa.timestamp(kind.unit, tz="UTC"))
    raise CurInputError(f"{where}: column {name} has type {kind}, expected a {expected}")
