"""Reading the labelled corpus and turning one head of it into a spaCy DocBin.

Every example carries all three heads' labels, so one file feeds three single-head pipelines; the DocBin
for a head holds one-hot `cats` over exactly that head's label ids from `store.labels.HEADS`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from spacy.tokens import DocBin

from store.labels import HEADS

from .paths import DATA_DIR
from .tokenizer import make_tokenizer


@dataclass(frozen=True)
class LabelledText:
    """One corpus line: the text and its label for each head (other keys are kept for provenance)."""

    text: str
    labels: dict[str, str]
    extra: dict[str, str]

    @classmethod
    def from_json(cls, record: dict[str, str]) -> LabelledText:
        labels = {head: record[head] for head in HEADS}
        for head, label in labels.items():
            if label not in HEADS[head]:
                raise ValueError(f"invalid {head} label {label!r} in corpus line {record['text'][:40]!r}")
        extra = {key: value for key, value in record.items() if key != "text" and key not in HEADS}
        return cls(text=record["text"], labels=labels, extra=extra)

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, **self.labels, **self.extra}


def read_jsonl(path: Path) -> list[LabelledText]:
    """Read one JSON-lines file; blank lines are skipped, anything else malformed is an error."""
    with path.open(encoding="utf-8") as handle:
        return [LabelledText.from_json(json.loads(line)) for line in handle if line.strip()]


def write_jsonl(path: Path, examples: Iterable[LabelledText]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(json.dumps(example.to_json(), ensure_ascii=False) + "\n")


def load_corpus(data_dir: Path = DATA_DIR) -> list[LabelledText]:
    """All `*.jsonl` parts, in sorted file order so the result never depends on the filesystem."""
    examples: list[LabelledText] = []
    for path in sorted(data_dir.glob("*.jsonl")):
        examples.extend(read_jsonl(path))
    return examples


def to_docbin(examples: Sequence[LabelledText], head: str) -> DocBin:
    """One-hot `cats` for `head`: every label id is present, so the textcat learns the full label set."""
    labels = HEADS[head]
    tokenizer = make_tokenizer()
    docbin = DocBin()
    for example in examples:
        doc = tokenizer(example.text)
        doc.cats = {label: float(label == example.labels[head]) for label in labels}
        docbin.add(doc)
    return docbin
