"""JSON text of whole Arrow arrays, byte for byte what `json.dumps` writes for each value.

The raw table stores repeated / nested export fields as JSON strings, and the row key hashes a JSON
list of a row's values (see README-contract.md). Both were written row by row with

    json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)

Here the same text is built with Arrow compute over a whole result page. Where Arrow's own text of a
value differs from Python's in a way that is not a fixed rewrite (floats whose notation differs,
duplicate label keys, types without a columnar rule), those values alone are written by Python, so
the text is always identical (tests/sources/test_gcp_billing.py compares both on varied rows).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL = "null"
# json.dumps escapes only these (ensure_ascii=False): backslash, quote and the C0 controls
_SHORT_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL_ESCAPES = [(chr(c), _SHORT_ESCAPES.get(chr(c), f"\\u{c:04x}")) for c in range(32)]


def dumps(value: Any) -> str:
    """The reference: how one Python value is written."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _by_python(arr: pa.Array, write) -> pa.Array:
    return pa.array([write(v) for v in arr.to_pylist()], pa.string())


def _patch(text: pa.Array, mask: np.ndarray, source: pa.Array, write) -> pa.Array:
    """`text` with the values where `mask` is true written by `write(python value)` instead."""
    rows = np.flatnonzero(mask)
    if not len(rows):
        return text
    values = source.take(pa.array(rows)).to_pylist()
    return pc.replace_with_mask(text, pa.array(mask), pa.array([write(v) for v in values], pa.string()))


def _concat(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and Python strings (null if any part is null)."""
    return pc.binary_join_element_wise(*parts, "")


def _or_null(text: pa.Array) -> pa.Array:
    return pc.fill_null(text, NULL)


def per_distinct(values: pa.Array, write) -> pa.Array:
    """`write(values)`, computed once per distinct value: billing columns repeat (services, SKUs,
    projects, label sets, hourly timestamps), so this does a fraction of the string work."""
    if len(values) < 64:
        return write(values)
    encoded = pc.dictionary_encode(values)
    return write(encoded.dictionary).take(encoded.indices)


def _escaped_bytes(strings: pa.Array) -> set[int]:
    """Which bytes json.dumps escapes occur in the strings' text: backslash, quote, the C0 controls (in UTF-8 these
    bytes are never part of another character)."""
    _, offset_buffer, data = strings.buffers()
    if data is None or not len(strings):
        return set()
    width = 8 if pa.types.is_large_string(strings.type) else 4
    offsets = np.frombuffer(offset_buffer, dtype=np.int64 if width == 8 else np.int32, count=len(strings) + 1,
                            offset=strings.offset * width)
    text = np.frombuffer(data, dtype=np.uint8)[offsets[0]:offsets[-1]]
    present = set(np.unique(text[text < 32]).tolist())
    return present | {byte for byte in (ord('"'), ord("\\")) if (text == byte).any()}


def escape(strings: pa.Array) -> pa.Array:
    """The inside of a JSON string literal, as json.dumps(ensure_ascii=False) writes it: only the characters
    that occur are replaced (the backslash first, as the others' escapes add backslashes)."""
    present = _escaped_bytes(strings)
    out = pc.replace_substring(strings, "\\", "\\\\") if ord("\\") in present else strings
    if ord('"') in present:
        out = pc.replace_substring(out, '"', '\\"')
    for char, escaped in _CONTROL_ESCAPES:
        if ord(char) in present:
            out = pc.replace_substring(out, char, escaped)
    return out


def quoted(strings: pa.Array) -> pa.Array:
    """JSON string literals; null stays null."""
    return per_distinct(pc.cast(strings, pa.string()), lambda distinct: _concat('"', escape(distinct), '"'))


def _in_row_order(parts: list[tuple[np.ndarray, pa.Array]], rows: int) -> pa.Array:
    """Texts written for disjoint sets of rows (which together are all `rows`), put in row order with one take."""
    index = np.empty(rows, dtype=np.int64)
    start = 0
    for where, _ in parts:
        index[where] = start + np.arange(len(where))
        start += len(where)
    return pa.concat_arrays([pc.cast(text, pa.string()) for _, text in parts]).take(pa.array(index))


def _text_lengths(strings: pa.Array) -> np.ndarray:
    return pc.utf8_length(strings).to_numpy(zero_copy_only=False).astype(np.int64)


def _shortest_digits(unsigned: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(digits, point) of finite non-zero float texts without a sign as Arrow writes them, plain ('1500', '0.00015')
    or scientific ('1.5e+16'), both with the shortest digits that read back to the double: the value is
    0.<digits> x 10^point, the digits without leading or trailing zeros."""
    split = pc.split_pattern(unsigned, "e", max_splits=1)  # [mantissa] or [mantissa, exponent]
    items = split.flatten()
    starts = split.offsets.to_numpy()[:-1]
    mantissa = items.take(pa.array(starts))
    exponent = np.zeros(len(unsigned), np.int64)
    scientific = np.flatnonzero(pc.list_value_length(split).to_numpy(zero_copy_only=False) == 2)
    if len(scientific):
        written = pc.utf8_ltrim(items.take(pa.array(starts[scientific] + 1)), characters="+")
        exponent[scientific] = pc.cast(written, pa.int64()).to_numpy(zero_copy_only=False)
    figures = pc.replace_substring(mantissa, ".", "")
    significant = pc.utf8_ltrim(figures, characters="0")
    dot = pc.find_substring(mantissa, ".").to_numpy(zero_copy_only=False).astype(np.int64)
    dot = np.where(dot < 0, _text_lengths(mantissa), dot)  # digits before the point in the mantissa
    point = dot - (_text_lengths(figures) - _text_lengths(significant)) + exponent  # '0.00015': 1 - 4 = -3
    return pc.utf8_rtrim(significant, characters="0"), point


def python_float_text(text: pa.Array) -> pa.Array:
    """`repr(float)` of finite non-zero floats from Arrow's text of them (the same shortest digits, another notation):
    Python writes an exponent when the decimal exponent is below -4 or from 16 on, at least two exponent digits, and
    '.0' after an integral value; the digits are moved by Arrow compute, a group of equal decimal points at a time."""
    negative = pc.starts_with(text, "-")
    digits, point = _shortest_digits(pc.utf8_ltrim(text, characters="-"))
    count = _text_lengths(digits)
    exponent = point - 1
    scientific = (exponent < -4) | (exponent >= 16)
    parts = []
    rows = np.flatnonzero(scientific)  # 1.5e+16, 1e-05
    if len(rows):
        taken, many = digits.take(pa.array(rows)), count[rows] > 1
        mantissa = pc.if_else(many, _concat(pc.utf8_slice_codeunits(taken, 0, 1), ".", pc.utf8_slice_codeunits(taken, 1)),
                              taken)
        power = pc.utf8_lpad(pc.cast(pa.array(np.abs(exponent[rows])), pa.string()), 2, "0")
        parts.append((rows, _concat(mantissa, pc.if_else(pa.array(exponent[rows] < 0), "e-", "e+"), power)))
    rows = np.flatnonzero(~scientific & (point <= 0))  # 0.00015
    if len(rows):
        zeros = pc.binary_repeat("0", pa.array(-point[rows]))
        parts.append((rows, _concat("0.", zeros, digits.take(pa.array(rows)))))
    rows = np.flatnonzero(~scientific & (point >= count))  # 1500.0
    if len(rows):
        zeros = pc.binary_repeat("0", pa.array(point[rows] - count[rows]))
        parts.append((rows, _concat(digits.take(pa.array(rows)), zeros, ".0")))
    inside = ~scientific & (point > 0) & (point < count)  # 12.5: a slice at the point, the same for the whole group
    for at in np.unique(point[inside]).tolist():
        rows = np.flatnonzero(inside & (point == at))
        taken = digits.take(pa.array(rows))
        parts.append((rows, _concat(pc.utf8_slice_codeunits(taken, 0, at), ".", pc.utf8_slice_codeunits(taken, at))))
    unsigned = _in_row_order(parts, len(text))
    return pc.if_else(negative, _concat("-", unsigned), unsigned)


def float_repr(values: pa.Array) -> pa.Array:
    """`repr(float)` of each value (null stays null).

    Arrow and Python both write the shortest digits that read back to the same double; they differ
    in notation: Python switches to an exponent below 1e-4 and from 1e16 (`1e-05`, `1e+16`) and
    writes `1.0`; Arrow has other thresholds (`0.00001`, `1e+15`) and writes `1`, `1e-5`. Where both
    use plain notation or both an exponent the text is rewritten (".0" added, two exponent digits at
    least); where only one of them uses an exponent, python_float_text moves the digits (usage amounts
    in byte-seconds, 1e10 to 1e17, are often those). Each rewrite works on its own values only, and one
    take puts the texts together.
    """
    values = pc.cast(values, pa.float64())
    text = pc.cast(values, pa.string())
    numbers = pc.fill_null(values, math.nan).to_numpy(zero_copy_only=False)
    finite = np.isfinite(numbers)
    magnitude = np.abs(numbers)
    python_exponent = finite & ((magnitude >= 1e16) | ((magnitude < 1e-4) & (magnitude != 0.0)))
    arrow_exponent = pc.fill_null(pc.match_substring(text, "e"), False).to_numpy(zero_copy_only=False)
    differs = finite & (python_exponent != arrow_exponent)
    rewrites = [  # (rows, their new text from their Arrow text and values): disjoint
        (finite & ~arrow_exponent & ~differs & (numbers == np.trunc(numbers)),  # plain integral: Python adds ".0"
         lambda old, _: _concat(old, ".0")),
        (arrow_exponent & python_exponent,  # two exponent digits at least
         lambda old, _: pc.replace_substring_regex(old, r"e([+-])(\d)$", r"e\10\2")),
        (differs, lambda old, _: python_float_text(old)),
    ]
    parts, index = [text], None
    for mask, rewrite in rewrites:
        rows = np.flatnonzero(mask)
        if not len(rows):
            continue
        if index is None:
            index = np.arange(len(text), dtype=np.int64)
        index[rows] = sum(map(len, parts)) + np.arange(len(rows))
        taken = pa.array(rows)
        parts.append(rewrite(text.take(taken), values.take(taken)))
    return text if index is None else pa.concat_arrays(parts).take(pa.array(index))


def _timestamp_text(values: pa.Array, separator: str) -> pa.Array | None:
    """ISO text of UTC timestamps as datetime.isoformat(separator) writes them, or None if the type
    has no columnar rule here (other units or zones, years outside 1000-9999)."""
    kind = values.type
    if kind.unit != "us" or kind.tz not in ("UTC", "+00:00"):
        return None
    years = pc.year(values)
    low, high = pc.min(years).as_py(), pc.max(years).as_py()
    if low is not None and (low < 1000 or high > 9999):
        return None

    def write(distinct: pa.Array) -> pa.Array:
        text = pc.cast(distinct, pa.string())  # 2026-09-01 04:00:00.000120Z
        text = pc.replace_substring_regex(text, r"\.000000Z$", "Z")  # isoformat drops zero microseconds
        text = pc.replace_substring(text, "Z", "+00:00")
        return pc.replace_substring(text, " ", separator) if separator != " " else text

    return per_distinct(values, write)


def value_json(values: pa.Array) -> pa.Array:
    """`dumps(v)` of each value of an array; null gives 'null'."""
    kind = values.type
    if pa.types.is_null(kind):
        return pa.repeat(pa.scalar(NULL, pa.string()), len(values))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _or_null(quoted(values))
    if pa.types.is_boolean(kind):
        return _or_null(pc.if_else(values, "true", "false"))
    if pa.types.is_integer(kind):
        return _or_null(pc.cast(values, pa.string()))
    if pa.types.is_floating(kind):
        text = float_repr(values)  # json.dumps writes non-finite floats as JavaScript does
        for python, javascript in (("nan", "NaN"), ("-inf", "-Infinity"), ("inf", "Infinity")):
            text = pc.if_else(pc.fill_null(pc.equal(text, python), False), javascript, text)
        return _or_null(text)
    if pa.types.is_decimal(kind):  # default=str: str(Decimal); Arrow writes the same scientific form
        return _or_null(quoted(pc.cast(values, pa.string())))
    if pa.types.is_timestamp(kind):  # default=str: str(datetime), a space between date and time
        text = _timestamp_text(values, " ")
        return _by_python(values, dumps) if text is None else _or_null(quoted(text))
    if pa.types.is_struct(kind):
        return _or_null(struct_json(values))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _or_null(list_json(values))
    return _by_python(values, dumps)


def struct_json(values: pa.StructArray) -> pa.Array:
    """'{"field":value,...}' in the struct's field order (a dict from to_pylist keeps it); null stays null."""
    children = values.flatten()
    parts: list = ["{"]
    for number, (field, child) in enumerate(zip(values.type, children, strict=True)):
        parts += [("," if number else "") + dumps(field.name) + ":", value_json(child)]
    parts.append("}")
    text = _concat(*parts) if children else pa.repeat(pa.scalar("{}", pa.string()), len(values))
    return pc.if_else(values.is_valid(), text, pa.scalar(None, pa.string()))


def _lengths(lists: pa.Array) -> np.ndarray:
    return pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False).astype(np.int64)


def _join_lists(lists: pa.Array, item_text: pa.Array, opening: str, closing: str) -> pa.Array:
    """opening + the items' texts of each list joined by ',' + closing; a null list gives the empty form."""
    offsets = np.concatenate([[0], np.cumsum(_lengths(lists))]).astype(np.int32)
    grouped = pa.ListArray.from_arrays(pa.array(offsets), item_text)
    return _concat(opening, pc.binary_join(grouped, ","), closing)


def list_json(values: pa.Array) -> pa.Array:
    """'[item,...]' of each list; null stays null."""
    text = _join_lists(values, value_json(values.flatten()), "[", "]")
    return pc.if_else(values.is_valid(), text, pa.scalar(None, pa.string()))


def array_json(values: pa.Array) -> pa.Array:
    """dumps(list(items or [])) of a repeated record: '[{...},...]', '[]' for NULL."""
    if not (pa.types.is_list(values.type) or pa.types.is_large_list(values.type)):  # e.g. an absent field's NULLs
        return _by_python(values, lambda items: dumps(list(items or [])))
    return _join_lists(values, value_json(values.flatten()), "[", "]")


def _kv_python(items: list[dict] | None) -> str:
    return dumps({item["key"]: item["value"] for item in items or []})


def kv_object_json(values: pa.Array) -> pa.Array:
    """A repeated key/value record as a JSON object, '{"k":"v",...}' ('{}' for NULL): dict(items)
    semantics, so a later duplicate key wins at the place of the first (those rows go by Python)."""
    if not (pa.types.is_list(values.type) or pa.types.is_large_list(values.type)):  # e.g. an absent field's NULLs
        return _by_python(values, _kv_python)
    items = values.flatten()
    keys, vals = pc.struct_field(items, "key"), pc.struct_field(items, "value")
    if not (pa.types.is_string(keys.type) or pa.types.is_large_string(keys.type)):
        return _by_python(values, _kv_python)
    pairs = _concat(quoted(keys), ":", value_json(vals))
    text = _join_lists(values, pc.fill_null(pairs, ""), "{", "}")
    parents = np.repeat(np.arange(len(values)), _lengths(values))
    by_python = np.zeros(len(values), dtype=bool)
    by_python[parents[keys.is_null().to_numpy(zero_copy_only=False)]] = True  # dumps writes "null"
    if len(items):
        by_python |= _repeated_keys(values, text, parents, keys)
    return _patch(text, by_python, values, _kv_python)


def _repeated_keys(values: pa.Array, text: pa.Array, parents: np.ndarray, keys: pa.Array) -> np.ndarray:
    """Rows whose list repeats a key. Rows with the same text have the same (key, value) sequence
    (the text is unambiguous JSON), so one row of each distinct text is looked at, unless the label
    sets are mostly distinct: then (row, key) pairs are counted."""
    encoded = pc.dictionary_encode(text)
    if len(encoded.dictionary) > 1000:
        counts = pa.table({"row": parents, "key": keys}).group_by(["row", "key"]).aggregate([([], "count_all")])
        repeated = np.zeros(len(values), dtype=bool)
        repeated[counts["row"].filter(pc.greater(counts["count_all"], 1)).to_numpy()] = True
        return repeated
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    distinct, first = np.unique(indices, return_index=True)
    repeats = [len({item["key"] for item in items or ()}) < len(items or ())
               for items in values.take(pa.array(first)).to_pylist()]
    if not any(repeats):
        return np.zeros(len(values), dtype=bool)
    return np.isin(indices, distinct[np.array(repeats)])


def canonical_json(values: pa.Array) -> pa.Array:
    """JSON text of each value as the row key canonicalises it before hashing: floats by repr and
    timestamps by isoformat() as JSON strings, other non-JSON types as str(); 'null' for NULL."""
    kind = values.type
    if pa.types.is_floating(kind):  # float text needs no escapes
        return _or_null(_concat('"', float_repr(values), '"'))
    if pa.types.is_timestamp(kind):
        text = _timestamp_text(values, "T")
        if text is not None:
            return _or_null(quoted(text))
    elif pa.types.is_decimal(kind) or pa.types.is_null(kind) or pa.types.is_string(kind) \
            or pa.types.is_large_string(kind) or pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return value_json(values)
    return _by_python(values, lambda v: dumps(_canonical(v)))


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)
