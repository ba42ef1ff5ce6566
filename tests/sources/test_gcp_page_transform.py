"""The GCP page transformation's parts: exact value identity, row keys from distinct texts, and pages on threads.

The whole transformation is compared with the row-by-row reference in test_gcp_billing.py; these tests pin
the parts on the inputs that break a careless version: 0.0 and -0.0, NaN, null beside empty, slices, keys
built from one run of columns or from many, and the order and errors of pages transformed side by side.
"""

import itertools
import math
import random
import struct
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from bench.gcp_billing_rowwise import row_content_hash
from include.sources.gcp_billing import distinct, json_text, raw_table, row_key
from include.sources.gcp_billing.pages import batches, transformed


def same_groups(codes) -> list[list[int]]:
    """The rows grouped by equal code, in row order: what two numberings must agree on."""
    groups: dict[int, list[int]] = {}
    for row, code in enumerate(list(codes)):
        groups.setdefault(code, []).append(row)
    return sorted(groups.values())


def test_float_codes_follow_bits_not_equality():
    values = pa.array([0.0, -0.0, math.nan, None, 1.5, 1.5, 0.0, None, -0.0])
    assert same_groups(distinct.codes(values)) == [[0, 6], [1, 8], [2], [3, 7], [4, 5]]


LABEL = pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())]))


def test_list_codes_tell_null_empty_and_null_fields_apart():
    rows = [None, [], [{"key": "a", "value": None}], [{"key": "a", "value": ""}], [None],
            [{"key": "a", "value": None}], [], None, [{"key": "a", "value": ""}, {"key": "b", "value": "x"}],
            [{"key": "a", "value": ""}, {"key": "b", "value": "x"}], [{"key": "b", "value": "x"}],
            [{"key": None, "value": None}]]
    values = pa.array(rows, LABEL)
    assert same_groups(distinct.codes(values)) == [[0, 7], [1, 6], [2, 5], [3], [4], [8, 9], [10], [11]]
    for start in (1, 3, 5):  # a slice: offsets into the parent's buffers
        assert same_groups(distinct.codes(values.slice(start))) == same_groups(
            distinct.codes(pa.array(rows[start:], LABEL)))


def _identity(value):
    """A Python value with floats by their bits, so 0.0 and -0.0 differ, as the codes tell them apart."""
    if isinstance(value, float):
        return ("float", struct.pack("<d", value))
    if isinstance(value, dict):
        return tuple((name, _identity(item)) for name, item in value.items())
    if isinstance(value, list):
        return ("list", tuple(_identity(item) for item in value))
    return value


CREDIT = pa.list_(pa.struct([("name", pa.string()), ("amount", pa.float64()), ("flag", pa.bool_()),
                             ("at", pa.timestamp("us", "UTC")), ("cents", pa.decimal128(12, 2)),
                             ("tags", pa.list_(pa.string()))]))
FLAT_CREDIT = pa.list_(pa.struct([field for field in CREDIT.value_type if field.name != "tags"]))


@pytest.mark.parametrize("nulls", [True, False])
@pytest.mark.parametrize("kind", [LABEL, CREDIT, FLAT_CREDIT], ids=["labels", "records_with_a_list", "records"])
def test_list_codes_group_exactly_the_equal_lists(kind, nulls):
    """Random lists of records (-0.0, strings that join to the same text, nulls at every level or none, a list in the
    records, repeated rows, slices): rows share a code exactly when their values are equal."""
    rng = random.Random(11)

    def pick(*choices):
        return rng.choice([*choices, None] if nulls else choices)

    def item():
        if nulls and rng.random() < 0.05:
            return None
        if kind == LABEL:
            return {"key": pick("a", "", "aa"), "value": pick("", "a", "aa")}
        return {"name": pick("x", "xx", ""), "amount": pick(0.0, -0.0, 1.5), "flag": pick(True, False),
                "cents": pick(Decimal("1.20"), Decimal("-0.05")), "at": pick(datetime(2026, 9, 1, tzinfo=UTC)),
                **({"tags": pick([], ["t"], ["t", "t"])} if kind == CREDIT else {})}

    distinct_rows = [None if nulls and rng.random() < 0.1 else [item() for _ in range(rng.randint(0, 3))]
                     for _ in range(80)]
    rows = [rng.choice(distinct_rows) for _ in range(800)]
    values = pa.array(rows, kind)
    for start in (0, 7):
        part = values.slice(start)
        expected: dict = {}
        for row, value in enumerate(part.to_pylist()):
            expected.setdefault(_identity(value), []).append(row)
        assert same_groups(distinct.codes(part)) == sorted(expected.values())


def test_written_per_distinct_equals_writing_every_row():
    rng = random.Random(5)
    sets = [[{"key": f"k{i}", "value": rng.choice(["a", "b", None, 'q"\\\n'])} for i in range(rng.randint(0, 3))]
            for _ in range(12)] + [None]
    values = pa.array([rng.choice(sets) for _ in range(400)], LABEL)
    once = distinct.written_per_distinct(values, json_text.kv_object_json)
    assert pa.types.is_dictionary(once.type) and len(once.dictionary) <= len(sets)
    assert once.dictionary_decode().equals(json_text.kv_object_json(values))
    mostly_distinct = pa.array([[{"key": str(n), "value": "v"}] for n in range(400)], LABEL)
    assert distinct.written_per_distinct(mostly_distinct, json_text.kv_object_json).type == pa.string()


def _page(rows: int, seed: int) -> tuple[list[pa.Array], pa.Array]:
    """Columns of every type the key writes, few or many distinct values, the awkward ones included."""
    rng = random.Random(seed)
    hour = datetime(2026, 9, 1, tzinfo=UTC)
    floats = [0.0, -0.0, 1e16, 1e-5, 123456789012345.67, 2.5, math.inf, -math.inf, math.nan, None, 1e22, 7.0]
    columns = [
        pa.array([rng.choice(["acct-1", "acct-2"]) for _ in range(rows)]),
        pa.array([rng.choice(["Compute", 'Quote "q"', "ü\\x", "tab\t", "", None]) for _ in range(rows)]),
        pa.array([hour + timedelta(hours=rng.randrange(24)) for _ in range(rows)], pa.timestamp("us", tz="UTC")),
        pa.array([rng.choice(floats) for _ in range(rows)], pa.float64()),
        pa.array([rng.uniform(-1e6, 1e6) for _ in range(rows)], pa.float64()),  # mostly distinct
        pa.array([rng.choice([Decimal("0.1"), Decimal("1E-9"), None]) for _ in range(rows)], pa.decimal128(38, 9)),
        pa.array([rng.choice([None, "[]", '[{"name":"x"}]']) for _ in range(rows)]).dictionary_encode(),
        pa.array([rng.choice([1, 2, None]) for _ in range(rows)], pa.int64()),
        pa.nulls(rows, pa.string()),
    ]
    occurrence = pa.array([rng.choice([1, 1, 2]) for _ in range(rows)], pa.int64())
    return columns, occurrence


@pytest.mark.parametrize("chunk_bytes", [4 << 20, 1000], ids=["one chunk", "chunks of a few rows"])
@pytest.mark.parametrize("table_up_to", [0, 4, 10**6], ids=["counted by hash", "default", "counted by table"])
@pytest.mark.parametrize("combine_up_to", [0.0, 0.25, 1.0], ids=["every column a run", "default", "one run"])
def test_row_keys_equal_the_python_formula(monkeypatch, combine_up_to, table_up_to, chunk_bytes):
    monkeypatch.setattr(row_key, "_COMBINE_UP_TO", combine_up_to)
    monkeypatch.setattr(row_key, "_TABLE_UP_TO", table_up_to)
    monkeypatch.setattr(row_key, "_CHUNK_BYTES", chunk_bytes)  # a page's key text past it is written in chunks
    columns, occurrence = _page(600, seed=11)
    keys = row_key.row_keys(columns, occurrence).to_pylist()
    python_rows = [column.to_pylist() for column in columns] + [occurrence.to_pylist()]
    expected = [row_content_hash(list(values))[:32] for values in zip(*python_rows, strict=True)]
    assert keys == expected
    sliced = row_key.row_keys([column.slice(100, 50) for column in columns], occurrence.slice(100, 50))
    assert sliced.to_pylist() == expected[100:150]


def test_first_rows_are_where_each_value_first_appears():
    values = pa.array(["b", "a", "b", None, "c", "a", None, "c", "d"])
    _, codes = distinct.dictionary(values)
    assert distinct.first_rows(codes).tolist() == [0, 1, 3, 4, 8]
    assert distinct.first_rows(distinct.dictionary(pa.array([], pa.string()))[1]).tolist() == []


@pytest.mark.parametrize("chunk_bytes", [None, 1, 9], ids=["one chunk", "a row a chunk", "chunks of rows"])
def test_rows_text_joins_each_rows_parts_in_chunks_of_rows(chunk_bytes):
    parts = [(pa.array(["x", "yy"]), pa.array([1, 0, 1, 0, 0]).to_numpy()),
             (pa.array(["", "zzz", "ü"]), pa.array([2, 1, 0, 0, 2]).to_numpy())]
    rows = []
    for written, offsets in row_key.rows_text(parts, "[", ",", "]", chunk_bytes=chunk_bytes):
        body = written.buffers()[2].to_pybytes()
        rows += [body[start:end].decode() for start, end in zip(offsets[:-1], offsets[1:], strict=True)]
    assert rows == ["[yy,ü]", "[x,zzz]", "[yy,]", "[x,]", "[x,ü]"]


def test_escape_writes_what_json_dumps_writes_inside_quotes():
    rng = random.Random(8)
    alphabet = [chr(code) for code in range(40)] + ['"', "\\", "ü", "€", "a", "/", "\x7f"]
    strings = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(300)] + [None]
    expected = [None if text is None else json_text.dumps(text)[1:-1] for text in strings]
    for kind in (pa.string(), pa.large_string()):
        values = pa.array(strings, kind)
        assert json_text.escape(values).to_pylist() == expected
        assert json_text.escape(values.slice(7, 50)).to_pylist() == expected[7:57]
    plain = pa.array(["plain", "text"])  # nothing to escape: nothing replaced
    assert json_text.escape(plain) is plain
    assert json_text.escape(pa.array(['a"b', "tab\t"]).slice(1)).to_pylist() == ["tab\\t"]


CREDITS = pa.list_(pa.struct([("name", pa.string()), ("amount", pa.float64())]))


def test_credits_total_is_fsum_of_each_rows_amounts():
    rng = random.Random(4)
    amounts = [1e16, 1.0, -1e16, 0.1, 0.2, -0.0, None, math.nan, 3.5, -2.25, 1e-300]
    rows = [None if rng.random() < 0.05 else
            [{"name": "c", "amount": rng.choice(amounts)} for _ in range(rng.randint(0, 5))] for _ in range(500)]
    rows += [[{"name": "c", "amount": a} for a in (1e16, 1.0, -1e16)], [{"name": "c", "amount": -0.0}] * 3]
    expected = [math.fsum(item["amount"] or 0.0 for item in row or []) for row in rows]
    values = pa.array(rows, CREDITS)
    for got, want in [(raw_table.credits_total(values).to_pylist(), expected),
                      (raw_table.credits_total(values.slice(123, 300)).to_pylist(), expected[123:423])]:
        assert [repr(v) for v in got] == [repr(v) for v in want]  # bit for bit: -0.0 and NaN too
    assert repr(raw_table.credits_total(values)[-2].as_py()) == "1.0"


def test_row_keys_of_no_rows():
    columns, occurrence = _page(0, seed=1)
    assert row_key.row_keys(columns, occurrence).to_pylist() == []


def test_pages_on_threads_keep_their_order_and_stay_bounded():
    pulled, in_flight, most = [0], [0], [0]
    lock = threading.Lock()

    def pages():
        for number in range(12):
            pulled[0] += 1
            yield number

    def to_table(number):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.02 * (number % 3 == 0))  # later pages finish first
        with lock:
            in_flight[0] -= 1
        return number

    out, pulled_most = [], 0
    for table in transformed(pages(), to_table, threads=2, ahead=2):
        pulled_most = max(pulled_most, pulled[0] - len(out))
        out.append(table)
    assert pulled_most == 4  # at most threads + ahead pages read beyond those yielded before
    assert out == list(range(12)) and most[0] <= 2


def test_a_failing_page_fails_after_the_pages_before_it():
    def to_table(number):
        if number == 4:
            raise ValueError("page 4 is bad")
        return number

    out = []
    with pytest.raises(ValueError, match="page 4 is bad"):
        for table in transformed(iter(range(10)), to_table, threads=2):
            out.append(table)
    assert out == [0, 1, 2, 3]


def test_pages_join_into_batches_of_at_least_the_given_rows():
    sizes = [3, 4, 10, 0, 2, 2, 1]
    start = [0, *itertools.accumulate(sizes)]
    pages = [pa.record_batch({"n": pa.array(range(a, a + size), pa.int64())})
             for a, size in zip(start[:-1], sizes, strict=True)]
    out = list(batches(iter(pages), 6))
    assert [batch.num_rows for batch in out] == [7, 10, 5]  # the last holds what is left
    assert out[1] is pages[2]  # a page with enough rows goes as it is, not copied
    assert pa.Table.from_batches(out).column("n").to_pylist() == list(range(sum(sizes)))
    assert list(batches(iter([]), 6)) == []


def test_wide_pages_join_into_batches_of_at_most_about_the_given_bytes():
    """Rows with many labels are wide: a batch stops at its bytes before it reaches its rows, so memory stays bounded."""
    pages = [pa.record_batch({"text": pa.array(["x" * 1000] * 10)}) for _ in range(7)]  # about 10 KB each
    out = list(batches(iter(pages), rows=1_000, size=25_000))
    assert [batch.num_rows for batch in out] == [30, 30, 10]
    assert pa.Table.from_batches(out).equals(pa.Table.from_batches(pages))


def test_a_batch_of_pages_transforms_as_its_pages_do():
    """Joining pages changes no row: the raw table and the export batches' row counts of a batch are those of its
    pages (row keys hash each row's own values and occurrence)."""
    from include.sources.gcp_billing.schema import arrow_schema
    from standins.sample_data.gcp import billing_result_page, generate_billing_rows

    page = billing_result_page(generate_billing_rows(["2026-09"], rows_per_month=300, seed=29), detailed=True)
    pages = [page.slice(0, 250), page.slice(250, 1), page.slice(251)]
    schema = arrow_schema("detailed")
    seen_pages, seen_batch = {}, {}
    each = [raw_table.to_raw_table(part, "detailed", schema, None, seen_pages, "t") for part in pages]
    (batch,) = batches(iter(pages), page.num_rows)
    whole = raw_table.to_raw_table(batch, "detailed", schema, None, seen_batch, "t")
    assert whole.equals(pa.concat_tables(each)) and seen_batch == seen_pages


def test_one_thread_transforms_in_the_callers_thread():
    threads = list(transformed(iter(range(3)), lambda _: threading.get_ident(), threads=1))
    assert set(threads) == {threading.get_ident()}


def test_a_type_without_a_rule_is_written_row_by_row():
    values = pa.array([[(1, 2)]] * 100, pa.map_(pa.int64(), pa.int64()))
    assert distinct.codes(values) is None
    assert distinct.written_per_distinct(values, lambda v: pa.array(["x"] * len(v))).type == pa.string()


def test_page_threads_allocate_from_jemalloc_unless_the_environment_chose(monkeypatch):
    from include.sources.gcp_billing.pages import use_jemalloc

    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
        use_jemalloc()
        assert pa.default_memory_pool().backend_name == "mimalloc"
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
        list(transformed(iter(range(3)), lambda number: number, threads=2))
        try:
            pa.jemalloc_memory_pool()
            expected = "jemalloc"
        except NotImplementedError:  # a pyarrow built without it keeps its default
            expected = "mimalloc"
        assert pa.default_memory_pool().backend_name == expected
    finally:
        pa.set_memory_pool(before)
