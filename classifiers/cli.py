"""`python -m classifiers split|train|evaluate|predict`: the build steps, runnable one at a time.

Argparse rather than click so the lead can mount these under `feedback classifiers …` without new deps.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from store.labels import HEADS

from .paths import ARCHITECTURES, BuildPaths
from .split import DEFAULT_SEED, write_splits


def _cmd_split(args: argparse.Namespace) -> int:
    sizes = write_splits(BuildPaths(args.build_dir), seed=args.seed)
    print(json.dumps(sizes))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from .train import train_all

    paths = BuildPaths(args.build_dir)
    print(json.dumps(write_splits(paths, seed=args.seed)))
    started = time.perf_counter()
    comparison = train_all(paths, heads=args.heads, archs=args.archs)
    print(json.dumps(comparison, indent=2))
    print(f"trained in {time.perf_counter() - started:.0f} s")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    report = evaluate(BuildPaths(args.build_dir))
    for head, result in report["heads"].items():
        print(f"{head}: macro-F1 {result['macro_f1']:.3f} (target {result['target_macro_f1']:.2f})")
    return 0


def predict_stream(source: TextIO, sink: TextIO, models_dir: Path) -> int:
    """JSON lines with `text` in, one JSON line per input out; returns the number of lines scored."""
    from .suggest import get_suggester

    suggester = get_suggester(models_dir)
    count = 0
    for line in source:
        if not line.strip():
            continue
        suggestion = suggester.suggest_many([json.loads(line)["text"]])[0]
        record: dict[str, object] = {}
        for head, head_suggestion in suggestion.heads().items():
            record[head] = head_suggestion.label
            record[f"{head}_score"] = round(head_suggestion.score, 4)
        record["model_version"] = suggestion.model_version
        sink.write(json.dumps(record) + "\n")
        count += 1
    return count


def _cmd_predict(args: argparse.Namespace) -> int:
    models_dir = BuildPaths(args.build_dir).models
    if args.file == "-":
        predict_stream(sys.stdin, sys.stdout, models_dir)
    else:
        with open(args.file, encoding="utf-8") as source:
            predict_stream(source, sys.stdout, models_dir)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m classifiers", description=__doc__)
    parser.add_argument("--build-dir", type=Path, default=BuildPaths().root, help="build tree (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    split = commands.add_parser("split", help="write the train/dev/test split")
    split.add_argument("--seed", type=int, default=DEFAULT_SEED)
    split.set_defaults(run=_cmd_split)
    train = commands.add_parser("train", help="split, train every architecture per head, keep the dev winner")
    train.add_argument("--seed", type=int, default=DEFAULT_SEED)
    train.add_argument("--heads", nargs="+", choices=list(HEADS), default=list(HEADS))
    train.add_argument("--archs", nargs="+", choices=list(ARCHITECTURES), default=list(ARCHITECTURES))
    train.set_defaults(run=_cmd_train)
    evaluate = commands.add_parser("evaluate", help="score the installed models on the test split")
    evaluate.set_defaults(run=_cmd_evaluate)
    predict = commands.add_parser("predict", help="score JSON lines with a `text` field ('-' for stdin)")
    predict.add_argument("file")
    predict.set_defaults(run=_cmd_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))
