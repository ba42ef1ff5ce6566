"""How every data file is read: in batches of BATCH_ROWS rows, streamed row group by row group so
memory stays bounded by one batch whatever the size of the month, and prefetched in a background
thread so reading overlaps with dlt writing."""

from __future__ import annotations

from collections.abc import Iterator

BATCH_ROWS = 65_536


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Iterate `items` in a background thread, `depth` items ahead. Reading and converting a
    batch (arrow releases the GIL) then overlaps with dlt writing the previous one; memory stays
    bounded by `depth` batches. Errors surface in the consumer, in order."""
    import queue
    import threading

    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put((item, None))
        except BaseException as exc:  # handed to the consumer
            buffer.put((None, exc))
        buffer.put((done, None))

    worker = threading.Thread(target=produce, name="cur-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = buffer.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                buffer.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.1)
