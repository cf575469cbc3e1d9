"""Shared measuring: concurrent requests, latency percentiles, and a table of ratios to a baseline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
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


def report(title: str, baseline: Result, results: list[Result]) -> None:
    print(f"\n{title}")
    print(f"{'':38} {'per second':>11} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}")
    for result in [baseline, *results]:
        print(
            f"{result.name:38} {result.per_second:11.1f} {result.percentile(0.5) * 1000:8.2f} "
            f"{result.percentile(0.99) * 1000:8.2f} {result.per_second / baseline.per_second:7.2f}"
        )
    print(f"(ratio = throughput / that of {baseline.name})")
