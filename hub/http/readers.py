"""The threads a process runs its reads on.

On SQLite a read is work of this process (SQLite's and Python's): threads beyond the machine's
cores only queue for the same cores, and contend for the interpreter's lock at every row they
step. Reads then run on as many threads as there are cores, and the requests beyond wait their
turn on the event loop, where waiting costs nothing: at 3,500 nodes and 16 clients, two API
processes served cold calendar reads with a p99 of 70 ms this way against 170 to 290 ms on
Starlette's 40 threads (bench/RESULTS.md). On PostgreSQL a read mostly waits for the server:
40 threads, as Starlette's pool.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from hub.settings import Settings

T = TypeVar("T")
POSTGRES_THREADS = 40

# One pool a size, shared by the apps of a process (tests build hundreds).
_pools: dict[int, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def reader_threads(settings: Settings) -> int:
    if settings.read_threads:
        return settings.read_threads
    return (os.cpu_count() or 2) if settings.is_sqlite else POSTGRES_THREADS


async def on_readers(settings: Settings, work: Callable[[], T]) -> T:
    """Run `work` on the reader threads, in the caller's context (its request id for the logs)."""
    size = reader_threads(settings)
    with _lock:
        pool = _pools.get(size)
        if pool is None:
            pool = _pools[size] = ThreadPoolExecutor(size, thread_name_prefix="hub-read")
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(pool, context.run, work)
