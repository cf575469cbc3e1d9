"""A fixed train/dev/test split, decided by a seed and the texts alone.

Examples are grouped by (service, type) so every split sees each service, and each case type within it, in
about the same proportion; inside a group the order is a hash of seed + text, so adding a line to the corpus
moves only that line's group and re-running never reshuffles. The test split is for the final report only.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence

from .corpus import LabelledText, load_corpus, write_jsonl
from .paths import SPLITS, BuildPaths

DEFAULT_SEED = 13
FRACTIONS = (0.70, 0.15, 0.15)


def _order_key(example: LabelledText, seed: int) -> str:
    return hashlib.sha256(f"{seed}\x00{example.text}".encode()).hexdigest()


def split_examples(examples: Sequence[LabelledText], *, seed: int = DEFAULT_SEED) -> dict[str, list[LabelledText]]:
    """Stratified by (service, type); each group is cut 70/15/15 after a seeded hash order."""
    groups: dict[tuple[str, str], list[LabelledText]] = defaultdict(list)
    for example in examples:
        groups[(example.labels["service"], example.labels["type"])].append(example)
    result: dict[str, list[LabelledText]] = {name: [] for name in SPLITS}
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda ex: _order_key(ex, seed))
        train_end = round(len(group) * FRACTIONS[0])
        dev_end = round(len(group) * (FRACTIONS[0] + FRACTIONS[1]))
        result["train"].extend(group[:train_end])
        result["dev"].extend(group[train_end:dev_end])
        result["test"].extend(group[dev_end:])
    for name in SPLITS:
        result[name].sort(key=lambda ex: _order_key(ex, seed))
    return result


def write_splits(paths: BuildPaths, *, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Split the whole corpus and write `splits/{train,dev,test}.jsonl`; returns the sizes."""
    splits = split_examples(load_corpus(), seed=seed)
    for name, examples in splits.items():
        write_jsonl(paths.split(name), examples)
    return {name: len(examples) for name, examples in splits.items()}
