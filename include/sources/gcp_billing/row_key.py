"""The row key of a result page's rows, written once per distinct value.

A row's key is the first 32 hex digits of SHA-256 over the canonical JSON list of its values and its
occurrence (README-contract.md; `json_text.canonical_json` writes each value). Billing rows repeat most
of their values (accounts, services, SKUs, projects, labels, hours), so:

* each column's distinct values are written as text once (all columns of one type in one call);
* runs of neighbouring columns are joined once per distinct combination of their values;
* the hash of the first run's text is computed once per distinct first run and continued per row.

Only the rest of each row's text, and the end of its hash, are per row.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from include.sources.gcp_billing import distinct, json_text

KEY_HEX_DIGITS = 32
# A run of columns is joined per distinct combination while there are at most this share of the
# page's rows; past it, joining per combination costs about what joining per row does.
_COMBINE_UP_TO = 0.25

Coded = tuple[pa.Array, np.ndarray]  # (distinct values or their texts, the index of each row's value in them)


def coded(values: pa.Array) -> Coded:
    """(each distinct value, the index of each row's value): `distinct.dictionary`, so a float's 0.0 and -0.0,
    whose texts differ, stay apart. A dictionary array (e.g. distinct.written_per_distinct's) keeps its own
    dictionary; a type without a hash kernel is one value per row."""
    if pa.types.is_dictionary(values.type):
        if not values.indices.null_count:
            return values.dictionary, values.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        values = values.dictionary_decode()
    found = distinct.dictionary(values)
    return found if found is not None else (values, np.arange(len(values), dtype=np.int64))


def canonical_texts(arrays: list[pa.Array]) -> list[pa.Array]:
    """`json_text.canonical_json` of each array, in one call per type (a value's text does not depend on
    the other values), so a page's many small dictionaries cost a few calls, not one per column."""
    by_type: dict[pa.DataType, list[int]] = {}
    for number, array in enumerate(arrays):
        by_type.setdefault(array.type, []).append(number)
    texts: list[pa.Array] = [None] * len(arrays)  # type: ignore[list-item]
    for numbers in by_type.values():
        together = json_text.canonical_json(pa.concat_arrays([arrays[n] for n in numbers]))
        start = 0
        for number in numbers:
            texts[number] = together.slice(start, len(arrays[number]))
            start += len(arrays[number])
    return texts


def _runs(columns: list[Coded], rows: int) -> list[Coded]:
    """Neighbouring columns' texts joined by ',' per distinct combination of their values, as (texts, index
    per row). A run grows while its combinations stay few; its text is then joined in one pass."""
    limit = max(1, int(rows * _COMBINE_UP_TO))
    spans = []  # (first column, end column, each row's combination)
    first, codes = 0, columns[0][1]
    for number, (text, next_codes) in enumerate(columns[1:], start=1):
        combined = distinct.dense_codes(pa.array(codes * len(text) + next_codes))  # < rows²: no overflow
        if combined.max() >= limit:
            spans.append((first, number, codes))
            first, combined = number, next_codes
        codes = combined
    spans.append((first, len(columns), codes))
    runs = []
    for start, end, codes in spans:
        if end - start == 1:
            runs.append(columns[start])
            continue
        _, row = np.unique(codes, return_index=True)  # a row of each combination, in combination order
        parts = [text.take(pa.array(column_codes[row])) for text, column_codes in columns[start:end]]
        runs.append((pc.binary_join_element_wise(*parts, ","), codes))
    return runs


def hex_sha256_prefixes(heads: pa.Array, head_codes: np.ndarray, tails: pa.Array) -> pa.Array:
    """The first KEY_HEX_DIGITS lowercase hex digits of SHA-256 over each row's text: its head
    (heads[head_codes[row]], hashed once per distinct head) then its tail (tails[row]); UTF-8 bytes."""
    rows = len(tails)
    tails = pc.cast(tails, pa.large_binary())
    if tails.null_count or heads.null_count:
        raise ValueError("a row key text is null")
    offsets = np.frombuffer(tails.buffers()[1], dtype=np.int64, count=rows + 1, offset=tails.offset * 8).tolist()
    body = memoryview(tails.buffers()[2] or b"")
    states = [hashlib.sha256(head) for head in pc.cast(heads, pa.binary()).to_pylist()]
    size, digests = KEY_HEX_DIGITS // 2, []
    append = digests.append
    for code, start, end in zip(head_codes.tolist(), offsets[:-1], offsets[1:], strict=True):
        state = states[code].copy()
        state.update(body[start:end])
        append(state.digest()[:size])
    positions = np.arange(0, KEY_HEX_DIGITS * (rows + 1), KEY_HEX_DIGITS, dtype=np.int32)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(positions), pa.py_buffer(b"".join(digests).hex().encode()))


def row_keys(columns: list[pa.Array], occurrence: pa.Array) -> pa.Array:
    """sha256(json.dumps([canonical(v) for v in values + [occurrence]]))[:32] of each row."""
    rows = len(occurrence)
    if not rows:
        return pa.array([], pa.string())
    encoded = [coded(column) for column in [*columns, occurrence]]
    texts = canonical_texts([values for values, _ in encoded])
    (head, head_codes), *rest = _runs([(text, codes) for text, (_, codes) in zip(texts, encoded, strict=True)], rows)
    # '[' + head + (',' + the rest's texts joined by ',') + ']': the rest per row, the head per distinct value
    head = pc.binary_join_element_wise("[", head, "")
    tails = [text.take(pa.array(codes)) for text, codes in rest]
    tail = pc.binary_join_element_wise("", *tails, ",") if tails else pa.array([""] * rows, pa.string())
    tail = pc.binary_join_element_wise(tail, "]", "")
    return hex_sha256_prefixes(head, head_codes, tail)
