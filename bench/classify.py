"""Classifier speed: batch throughput through all three heads on one core, single-message latency, load time.

Runs in a child process pinned to one CPU with BLAS and OpenMP limited to one thread, so "one core" means
one core. The baseline, measured in the same process on the same texts, is spaCy's tokenizer alone (the
least any pipeline must do to read a message), so the ratio says how many tokenizer-passes the three models
cost. The texts are the whole corpus (real lengths: one-line chats to long emails); nothing is scored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SINGLE_COUNT = int(os.environ.get("BENCH_CLASSIFY_SINGLE", "1000"))
ROUNDS = int(os.environ.get("BENCH_CLASSIFY_ROUNDS", "3"))


def measure() -> dict[str, Any]:
    """In the pinned child: load, batch and single-message figures (best of ROUNDS for throughput)."""
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from classifiers.corpus import load_corpus
    from classifiers.paths import BuildPaths
    from classifiers.suggester import Suggester
    from classifiers.tokenizer import make_tokenizer

    texts = [example.text for example in load_corpus()]
    loads = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        suggester = Suggester(BuildPaths().models)
        loads.append(time.perf_counter() - started)
    suggester.suggest_many(texts[:200])  # warm up

    tokenizer = make_tokenizer()
    baseline = max(_rate(lambda: [tokenizer(text) for text in texts], len(texts)) for _ in range(ROUNDS))
    batched = max(_rate(lambda: suggester.suggest_many(texts), len(texts)) for _ in range(ROUNDS))

    latencies = []
    for text in (texts * (SINGLE_COUNT // len(texts) + 1))[:SINGLE_COUNT]:
        started = time.perf_counter()
        suggester.suggest_many([text])
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    return {
        "texts": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts),
        "load_seconds": sorted(loads)[len(loads) // 2],
        "tokenizer_per_second": baseline,
        "batched_per_second": batched,
        "single_p50_ms": latencies[len(latencies) // 2] * 1000,
        "single_p99_ms": latencies[int(0.99 * len(latencies))] * 1000,
        "models": suggester.versions,
    }


def _rate(work: Any, count: int) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def main() -> None:
    from classifiers.train import SINGLE_THREAD

    env = {**os.environ, **SINGLE_THREAD}
    child = subprocess.run(
        [sys.executable, "-c", "import json, bench.classify as b; print(json.dumps(b.measure()))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"\nClassifiers on one core ({result['texts']} corpus texts, {result['mean_chars']:.0f} characters on average)"
    )
    print(f"{'':44} {'per second':>11} {'ratio':>7}")
    print(f"{'spaCy tokenizer alone (baseline)':44} {result['tokenizer_per_second']:11.0f} {1.0:7.2f}")
    ratio = result["batched_per_second"] / result["tokenizer_per_second"]
    print(f"{'three heads, batched (target >= 1,000/s)':44} {result['batched_per_second']:11.0f} {ratio:7.2f}")
    print(
        f"single message: p50 {result['single_p50_ms']:.2f} ms, p99 {result['single_p99_ms']:.2f} ms "
        f"(target p99 < 10 ms); model load {result['load_seconds']:.2f} s"
    )
    print("models: " + ", ".join(result["models"].values()))
