"""`make bench` / `python -m bench [NAME…]`: run the benchmarks (all by default)."""

from __future__ import annotations

import sys

from bench import api, bot, classify, jobs, smtp

BENCHMARKS = {"api": api.main, "smtp": smtp.main, "classifiers": classify.main, "jobs": jobs.main, "bot": bot.main}


def main(names: list[str]) -> None:
    for name in names or list(BENCHMARKS):
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        BENCHMARKS[name]()


main(sys.argv[1:])
