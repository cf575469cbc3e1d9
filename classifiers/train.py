"""Train one single-head textcat per (head, architecture), keep the better per head on the dev split.

Each run is plain `spacy train` on a config in `configs/`, so a run can be reproduced by hand:
`python -m spacy train classifiers/configs/bow.cfg --paths.train … --paths.dev …`. Selection uses only the
dev split; the test split is never read here.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.cli.train import train as spacy_train

from store.labels import HEADS

from .corpus import read_jsonl, to_docbin
from .metrics import macro_f1
from .paths import ARCHITECTURES, BuildPaths, config_path
from .predict import predict_labels
from .suggester import THRESHOLD_META_KEY, VERSION_META_KEY
from .thresholds import TARGET_PRECISION, choose_threshold, coverage_and_precision

SINGLE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def write_docbins(paths: BuildPaths, head: str) -> None:
    """Convert the train and dev splits to DocBins for `head` (test is converted nowhere)."""
    for split in ("train", "dev"):
        target = paths.docbin(head, split)
        target.parent.mkdir(parents=True, exist_ok=True)
        to_docbin(read_jsonl(paths.split(split)), head).to_disk(target)


def model_version(paths: BuildPaths, head: str, arch: str) -> str:
    """`feedback-<head>-<arch>-<sha8>`: the hash covers the data the model saw and its config."""
    digest = hashlib.sha256()
    for part in (paths.split("train"), paths.split("dev"), config_path(arch)):
        digest.update(part.read_bytes())
    return f"feedback-{head}-{arch}-{digest.hexdigest()[:8]}"


def train_run(paths: BuildPaths, head: str, arch: str, overrides: Mapping[str, Any] | None = None) -> Path:
    """One `spacy train` run; returns the directory of its best model (by spaCy's dev cats_score)."""
    output = paths.run(head, arch)
    if output.exists():
        shutil.rmtree(output)
    settings: dict[str, Any] = {
        "paths.train": str(paths.docbin(head, "train")),
        "paths.dev": str(paths.docbin(head, "dev")),
        **(overrides or {}),
    }
    spacy_train(config_path(arch), output, overrides=settings)
    return output / "model-best"


@dataclass(frozen=True)
class DevScore:
    """How a trained model did on the dev split: its macro-F1 and each suggestion's (score, right) pair."""

    macro_f1: float
    outcomes: list[tuple[float, bool]]


def score_on_dev(model_dir: Path, paths: BuildPaths, head: str) -> DevScore:
    """Score a trained model on the dev split, with the same metric the report uses on test."""
    nlp = spacy.load(model_dir)
    dev = read_jsonl(paths.split("dev"))
    results = list(predict_labels(nlp, [ex.text for ex in dev]))
    gold = [ex.labels[head] for ex in dev]
    predicted = [label for label, _ in results]
    outcomes = [(score, label == truth) for (label, score), truth in zip(results, gold, strict=True)]
    return DevScore(macro_f1(gold, predicted, HEADS[head]), outcomes)


def install_model(source: Path, target: Path, version: str, dev: DevScore) -> float:
    """Copy the chosen model to `models/<head>/`, stamping its version and review threshold into meta.json."""
    nlp = spacy.load(source)
    threshold = choose_threshold(dev.outcomes)
    nlp.meta[VERSION_META_KEY] = version
    nlp.meta[THRESHOLD_META_KEY] = threshold
    nlp.meta["feedback_threshold_target_precision"] = TARGET_PRECISION
    nlp.meta["feedback_dev_macro_f1"] = round(dev.macro_f1, 4)
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return threshold


def train_head(
    paths: BuildPaths,
    head: str,
    archs: Sequence[str] = ARCHITECTURES,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Train every architecture for `head`, install the dev winner, and return the comparison entry."""
    write_docbins(paths, head)
    runs: dict[str, dict[str, Any]] = {}
    dev_scores: dict[str, DevScore] = {}
    for arch in archs:
        started = time.perf_counter()
        best = train_run(paths, head, arch, overrides)
        seconds = time.perf_counter() - started
        dev_scores[arch] = score_on_dev(best, paths, head)
        runs[arch] = {"dev_macro_f1": round(dev_scores[arch].macro_f1, 4), "train_seconds": round(seconds, 1)}
    chosen = max(archs, key=lambda arch: (runs[arch]["dev_macro_f1"], -archs.index(arch)))
    version = model_version(paths, head, chosen)
    source = paths.run(head, chosen) / "model-best"
    threshold = install_model(source, paths.model(head), version, dev_scores[chosen])
    coverage, precision = coverage_and_precision(dev_scores[chosen].outcomes, threshold)
    return {
        "runs": runs,
        "chosen": chosen,
        "version": version,
        "review_threshold": {"score": threshold, "dev_coverage": round(coverage, 4), "dev_precision": precision},
    }


def train_all(
    paths: BuildPaths,
    heads: Sequence[str] = tuple(HEADS),
    archs: Sequence[str] = ARCHITECTURES,
    overrides: Mapping[str, Any] | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Train all heads and write `comparison.json` (dev scores only; the test split stays unseen).

    The heads are independent, so they train in parallel processes, one per core (each single-threaded:
    spaCy's CPU training gains nothing from more BLAS threads on these small matrices, and two processes
    fighting over two cores lose). The results do not depend on the number of workers.
    """
    workers = workers or min(len(heads), os.cpu_count() or 1)
    if workers <= 1:
        comparison = {head: train_head(paths, head, archs, overrides) for head in heads}
    else:
        previous = {name: os.environ.get(name) for name in SINGLE_THREAD}
        os.environ.update(SINGLE_THREAD)  # read by numpy's BLAS when each worker process imports it
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = {head: pool.submit(train_head, paths, head, archs, overrides) for head in heads}
                comparison = {head: future.result() for head, future in futures.items()}
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    paths.comparison.write_text(json.dumps(comparison, indent=2) + "\n", encoding="utf-8")
    return comparison
