"""The row key of a result page's rows, written once per distinct value.

A row's key is the first 32 hex digits of SHA-256 over the canonical JSON list of its values and its
occurrence (README-contract.md; `json_text.canonical_json` writes each value). Billing rows repeat most
of their values (accounts, services, SKUs, projects, labels, hours), so:

* each column's distinct values are written as text once (all columns of one type in one call);
* runs of neighbouring columns are joined once per distinct combination of their values;
* the hash of the first run's text is computed once per distinct first run and continued per row.

Only the rest of each row's text (written a chunk of rows at a time), and the end of its hash, are per row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from include.sources.gcp_billing import distinct, json_text

KEY_HEX_DIGITS = 32
# A run of columns is joined per distinct combination while there are at most this share of the
# page's rows; past it, joining per combination costs about what joining per row does.
_COMBINE_UP_TO = 0.25
_CHUNK_BYTES = 4 << 20  # row key text written per chunk of rows of about this size (see rows_text)
_TABLE_UP_TO = 4  # combinations are counted with a table of flags while that has at most this many per row

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


def _renumbered(codes: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    """The codes (each below `width`) renumbered 0..n-1, equal codes to equal numbers, and n: with a table of
    which numbers occur while `width` is small enough for one (cheaper than hashing), else by a hash."""
    if width > _TABLE_UP_TO * len(codes):
        dense = distinct.dense_codes(pa.array(codes))
        return dense, int(dense.max()) + 1
    occurs = np.zeros(width, dtype=bool)
    occurs[codes] = True
    numbers = np.cumsum(occurs) - 1
    return numbers[codes], int(numbers[-1]) + 1


def _runs(columns: list[Coded], rows: int) -> list[Coded]:
    """Neighbouring columns' texts joined by ',' per distinct combination of their values, as (texts, index
    per row). A run grows while its combinations stay few; its text is then joined in one pass."""
    limit = max(1, int(rows * _COMBINE_UP_TO))
    spans = []  # (first column, end column, a number per row's combination below `width`)
    first, codes, width = 0, columns[0][1], len(columns[0][0])
    for number, (text, next_codes) in enumerate(columns[1:], start=1):
        too_many = max(width, len(text)) > limit  # a column of that many values already (a cost, an id) joins no run
        if not too_many:
            combined, combined_width = codes * len(text) + next_codes, width * len(text)  # < rows²: no overflow
            if combined_width > limit:  # more combinations are possible than allowed: count those there are
                combined, combined_width = _renumbered(combined, combined_width)
            too_many = combined_width > limit
        if too_many:
            spans.append((first, number, codes))
            combined, combined_width, first = next_codes, len(text), number
        codes, width = combined, combined_width
    spans.append((first, len(columns), codes))
    runs = []
    for start, end, codes in spans:
        if end - start == 1:
            runs.append(columns[start])
            continue
        codes = distinct.dense_codes(pa.array(codes))
        row = distinct.first_rows(codes)  # a row of each combination, in combination order
        parts = [text.take(pa.array(column_codes[row])) for text, column_codes in columns[start:end]]
        runs.append((pc.binary_join_element_wise(*parts, ","), codes))
    return runs


def _pieces(parts: list[Coded], opening: str, separator: str, closing: str) -> tuple[pa.Array, np.ndarray]:
    """The parts' distinct texts with their separators (opening before the first part's, separator before each
    other's, closing after the last's), in one binary array, and where each part's texts start in it."""
    last = len(parts) - 1
    pieces = [pc.cast(pc.binary_join_element_wise(opening if number == 0 else separator, text,
                                                  closing if number == last else "", ""), pa.large_binary())
              for number, (text, _) in enumerate(parts)]
    return pa.concat_arrays(pieces), np.cumsum([0] + [len(text) for text, _ in parts[:-1]])


def rows_text(parts: list[Coded], opening: str, separator: str, closing: str,
              chunk_bytes: int | None = None) -> Iterator[tuple[pa.Array, np.ndarray]]:
    """Each row's text opening + part texts joined by separator + closing, written with one take per chunk of
    rows: (a binary array holding the chunk's pieces in row order, each of its rows' offsets into that array's
    data, rows + 1 of them). A chunk holds about `chunk_bytes` of text (_CHUNK_BYTES): small enough for the
    allocator to reuse the memory of the chunk before instead of faulting in fresh pages."""
    pieces, bases = _pieces(parts, opening, separator, closing)
    rows, width = len(parts[0][1]), len(parts)
    order = np.empty((rows, width), dtype=np.int64)
    for number, ((_, codes), base) in enumerate(zip(parts, bases, strict=True)):
        order[:, number] = codes + base
    lengths = pc.binary_length(pieces).to_numpy(zero_copy_only=False).astype(np.int64)
    ends = np.cumsum(lengths[order].sum(axis=1))  # where each row's text ends
    step = chunk_bytes or _CHUNK_BYTES
    bounds = np.searchsorted(ends, np.arange(step, int(ends[-1]), step))
    for start, stop in zip([0, *bounds.tolist()], [*bounds.tolist(), rows], strict=True):
        if start == stop:
            continue
        written = pieces.take(pa.array(order[start:stop].ravel()))
        offsets = np.frombuffer(written.buffers()[1], dtype=np.int64, count=len(written) + 1,
                                offset=written.offset * 8)[::width]
        yield written, offsets


def _digests(states: list, head_codes: np.ndarray, tails: pa.Array, offsets: np.ndarray, out: list) -> None:
    """Appends to `out` the SHA-256 digest of each row: a copy of its head's state (states[head_codes[row]]) updated
    with its tail (the bytes of `tails`' data from offsets[row] to offsets[row + 1]). The loop holds the GIL (hashlib
    releases it only for updates of 2 KiB and more), so it does no more per row than it must."""
    body = memoryview(tails.buffers()[2] or b"")
    append = out.append
    bounds = offsets.tolist()
    heads = [states[code] for code in head_codes.tolist()]
    for head, start, end in zip(heads, bounds[:-1], bounds[1:], strict=True):
        state = head.copy()
        state.update(body[start:end])
        append(state.digest())


def row_keys(columns: list[pa.Array], occurrence: pa.Array) -> pa.Array:
    """sha256(json.dumps([canonical(v) for v in values + [occurrence]]))[:32] of each row."""
    rows = len(occurrence)
    if not rows:
        return pa.array([], pa.string())
    encoded = [coded(column) for column in [*columns, occurrence]]
    texts = canonical_texts([values for values, _ in encoded])
    (head, head_codes), *rest = _runs([(text, codes) for text, (_, codes) in zip(texts, encoded, strict=True)], rows)
    # '[' + head + (',' + each of the rest's texts) + ']': the rest per row, the head per distinct value
    head = pc.binary_join_element_wise("[", head, "]" if not rest else "", "")
    if head.null_count:
        raise ValueError("a row key text is null")
    states = [hashlib.sha256(text) for text in pc.cast(head, pa.binary()).to_pylist()]
    digests: list[bytes] = []
    if not rest:  # one run: each row's text is its head
        _digests(states, head_codes, pa.array([b""], pa.large_binary()), np.zeros(rows + 1, np.int64), digests)
    else:
        start = 0
        for tails, offsets in rows_text(rest, ",", ",", "]"):
            if tails.null_count:
                raise ValueError("a row key text is null")
            stop = start + len(offsets) - 1  # this chunk's rows
            _digests(states, head_codes[start:stop], tails, offsets, digests)
            start = stop
    leading = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(rows, -1)[:, :KEY_HEX_DIGITS // 2]
    positions = np.arange(0, KEY_HEX_DIGITS * (rows + 1), KEY_HEX_DIGITS, dtype=np.int32)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(positions), pa.py_buffer(leading.tobytes().hex().encode()))
