"""A tiny trained build, made once per test session: bow only, a few epochs, a small stratified sample.

Training the real models takes minutes; these fixtures prove the pipeline end to end in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from classifiers.corpus import LabelledText, load_corpus, write_jsonl
from classifiers.paths import BuildPaths
from classifiers.split import split_examples

TINY_SIZES = {"train": 150, "dev": 40, "test": 30}
FAST_TRAINING = {"training.max_epochs": 3, "training.eval_frequency": 20, "training.patience": 100}


@pytest.fixture(scope="session")
def corpus() -> list[LabelledText]:
    return load_corpus()


@pytest.fixture(scope="session")
def write_tiny_splits(corpus: list[LabelledText]) -> Callable[[Path], BuildPaths]:
    """Factory: a build tree under `root` holding small slices of the real seeded split."""

    def make(root: Path) -> BuildPaths:
        paths = BuildPaths(root)
        splits = split_examples(corpus)
        for name, size in TINY_SIZES.items():
            write_jsonl(paths.split(name), splits[name][:size])
        return paths

    return make


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory: pytest.TempPathFactory, write_tiny_splits: Callable[[Path], BuildPaths]) -> BuildPaths:
    """Trained bow models for all three heads. The test split is written only after training, so training
    cannot have read it."""
    from classifiers.train import train_all

    paths = write_tiny_splits(tmp_path_factory.mktemp("build"))
    test_split = paths.split("test").read_bytes()
    paths.split("test").unlink()
    train_all(paths, archs=("bow",), overrides=FAST_TRAINING)
    paths.split("test").write_bytes(test_split)
    return paths
