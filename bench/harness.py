"""Shared measuring: concurrent requests, latency percentiles, and a table of ratios to a baseline."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    count: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(name: str, request: Callable[[int], Awaitable[None]], *, count: int, concurrency: int) -> Result:
    """Run `request(i)` for i in range(count) with `concurrency` workers; time each call and the whole."""
    latencies: list[float] = []
    queue = iter(range(count))

    async def worker() -> None:
        for index in queue:
            started = time.perf_counter()
            await request(index)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, count, time.perf_counter() - started, latencies)


def measure_threads(
    name: str,
    client: Callable[[], AbstractContextManager[Callable[[int], float | None]]],
    *,
    count: int,
    concurrency: int,
) -> Result:
    """Run `request(i)` for i in range(count) from `concurrency` threads; time each call and the whole.

    For blocking clients (smtplib) that keep one connection per thread: each thread enters `client()` to
    get its `request` (e.g. connect and say EHLO), and the clock starts only once every thread is ready,
    so connection set-up is not counted as throughput. A `request` that returns a number reports its own
    latency (when only part of the call should count, e.g. not an occasional reconnect); one that returns
    None is timed whole. The first error in any thread is raised here.
    """
    latencies: list[float] = []
    errors: list[BaseException] = []
    indices = iter(range(count))
    lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1)

    def next_index() -> int | None:
        with lock:
            return next(indices, None)

    def worker() -> None:
        try:
            with client() as request:
                ready.wait()
                while (index := next_index()) is not None and not errors:
                    started = time.perf_counter()
                    reported = request(index)
                    elapsed = time.perf_counter() - started if reported is None else reported
                    with lock:
                        latencies.append(elapsed)
        except BaseException as error:
            errors.append(error)
            ready.abort()  # a thread that failed to connect must not leave the others waiting

    threads = [threading.Thread(target=worker, name=f"{name}-{n}") for n in range(concurrency)]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):  # a thread failed to start: its error is raised below
        ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return Result(name, count, seconds, latencies)


def report(title: str, baseline: Result, results: list[Result]) -> None:
    print(f"\n{title}")
    print(f"{'':38} {'per second':>11} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}")
    for result in [baseline, *results]:
        print(
            f"{result.name:38} {result.per_second:11.1f} {result.percentile(0.5) * 1000:8.2f} "
            f"{result.percentile(0.99) * 1000:8.2f} {result.per_second / baseline.per_second:7.2f}"
        )
    print(f"(ratio = throughput / that of {baseline.name})")
