"""Running a single-head textcat over texts: the label with the highest score, and that score."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language

from . import tokenizer as _registers_the_tokenizer  # noqa: F401 - the configs name it

BATCH_SIZE = 256


def predict_labels(nlp: Language, texts: Iterable[str]) -> Iterator[tuple[str, float]]:
    """Top label and its score per text; exclusive textcat scores sum to 1, so the score is in [0, 1]."""
    for doc in nlp.pipe(texts, batch_size=BATCH_SIZE):
        label, score = max(doc.cats.items(), key=lambda item: item[1])
        yield label, min(1.0, max(0.0, float(score)))
