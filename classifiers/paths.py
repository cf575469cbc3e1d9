"""Where the classifiers' inputs and build outputs live.

One place for the layout, so the split, training, evaluation and `suggest` agree on it; tests pass their
own `BuildPaths` rooted in a temporary directory instead of touching the real build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
CONFIG_DIR = PACKAGE_DIR / "configs"
DEFAULT_BUILD_DIR = PACKAGE_DIR / "build"

SPLITS = ("train", "dev", "test")
ARCHITECTURES = ("bow", "bow_bigrams", "ensemble")


@dataclass(frozen=True)
class BuildPaths:
    """The build tree: splits, per-head DocBins, training runs, chosen models and reports."""

    root: Path = DEFAULT_BUILD_DIR

    @property
    def splits(self) -> Path:
        return self.root / "splits"

    def split(self, name: str) -> Path:
        return self.splits / f"{name}.jsonl"

    def docbin(self, head: str, split: str) -> Path:
        return self.root / "corpus" / head / f"{split}.spacy"

    def run(self, head: str, arch: str) -> Path:
        return self.root / "runs" / head / arch

    @property
    def models(self) -> Path:
        return self.root / "models"

    def model(self, head: str) -> Path:
        return self.models / head

    @property
    def comparison(self) -> Path:
        return self.root / "comparison.json"

    @property
    def report_json(self) -> Path:
        return self.root / "report.json"

    @property
    def report_md(self) -> Path:
        return self.root / "report.md"


def config_path(arch: str) -> Path:
    """The `spacy train` config for an architecture; an unknown name is an error, not a silent default."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {ARCHITECTURES}")
    return CONFIG_DIR / f"{arch}.cfg"
