"""Which rows of an Arrow array hold the same value, so text is written once per distinct value.

Billing rows repeat most of their values (services, SKUs, projects, label sets, hours). `codes` numbers
each row's value exactly: two rows get the same number only when their values are equal bit for bit
(a float's 0.0 and -0.0, whose texts differ, stay apart; so do a null and an empty list), including
lists of records, compared item by item and field by field.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def dictionary(values: pa.Array) -> tuple[pa.Array, np.ndarray] | None:
    """(each distinct value, the index of each row's value in them, numbered in order of first appearance);
    null counts as a value, floats are compared by their bits. None for a type without a hash kernel."""
    by_bits = pa.types.is_floating(values.type)
    try:
        encoded = pc.dictionary_encode(pc.cast(values, pa.float64()).view(pa.int64()) if by_bits else values,
                                       null_encoding="encode")
    except pa.ArrowNotImplementedError:
        return None
    distinct = encoded.dictionary.view(pa.float64()) if by_bits else encoded.dictionary
    return distinct, encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def dense_codes(values: pa.Array) -> np.ndarray | None:
    """Each row's index in `dictionary(values)`; None for a type without a hash kernel."""
    found = dictionary(values)
    return None if found is None else found[1]


def first_rows(dense: np.ndarray) -> np.ndarray:
    """The row where each value first appears, given `dictionary`'s codes (numbered in order of first appearance):
    the rows whose code is above every code before it."""
    if not len(dense):
        return np.zeros(0, np.int64)
    highest = np.maximum.accumulate(dense)
    return np.flatnonzero(np.concatenate([[True], highest[1:] > highest[:-1]]))


def combine(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One number per distinct (first, second) pair (both non-negative; the result need not be dense)."""
    width = int(second.max()) + 1 if len(second) else 1
    if len(first) and int(first.max()) >= (1 << 62) // width:  # keep first * width + second in int64
        first = dense_codes(pa.array(first))
    return first * width + second


def codes(values: pa.Array) -> np.ndarray | None:
    """A non-negative number for each row's value, equal numbers exactly for equal values; None for a type
    without a rule here."""
    kind = values.type
    if pa.types.is_struct(kind):
        result = dense_codes(values.is_valid()) if values.null_count else np.zeros(len(values), np.int64)
        for child in values.flatten():
            child_codes = codes(child)
            if child_codes is None:
                return None
            result = combine(result, child_codes)
        return result
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _list_codes(values)
    if pa.types.is_nested(kind) or pa.types.is_dictionary(kind):
        return None
    return dense_codes(values)


def _list_codes(values: pa.Array) -> np.ndarray | None:
    """A list's number from its items' numbers: the items of each row as one binary value (4 bytes an item)."""
    items = codes(values.flatten())
    if items is None:
        return None
    if len(items) and int(items.max()) > np.iinfo(np.int32).max:
        items = dense_codes(pa.array(items))
    lengths = pc.fill_null(pc.list_value_length(values), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths) * 4]).astype(np.int64)
    sequences = pa.Array.from_buffers(pa.large_binary(), len(values),
                                      [None, pa.py_buffer(offsets), pa.py_buffer(items.astype(np.int32))])
    result = dense_codes(sequences)
    return combine(dense_codes(values.is_valid()), result) if values.null_count else result


def written_per_distinct(values: pa.Array, write: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """`write(values)` computed once per distinct value, as a dictionary array (write(distinct values), row codes);
    `write(values)` itself when the type has no rule here or too many values are distinct to gain."""
    row_codes = codes(values) if len(values) >= 64 else None
    if row_codes is None:
        return write(values)
    row_codes = dense_codes(pa.array(row_codes))
    first = first_rows(row_codes)
    if len(first) > len(values) // 4:
        return write(values)
    return pa.DictionaryArray.from_arrays(pa.array(row_codes.astype(np.int32)), write(values.take(pa.array(first))))
