"""`suggest(text)`: the three heads' labels with scores and the model version, for one case.

The models are build outputs (`build/models/<head>/`), loaded on first use and then kept, so importing
`classifiers` loads no model and intake pays the load time once per process.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from store.labels import HEADS

from .paths import BuildPaths
from .predict import predict_labels

VERSION_META_KEY = "feedback_version"


class ModelsNotBuilt(RuntimeError):
    """The models have not been trained: run `python -m classifiers train` (the lead wires this into make)."""


@dataclass(frozen=True)
class HeadSuggestion:
    label: str
    score: float
    version: str


@dataclass(frozen=True)
class Suggestion:
    """One suggestion per head; `model_version` (under 80 characters) identifies all three models together."""

    type: HeadSuggestion
    subject_category: HeadSuggestion
    service: HeadSuggestion
    model_version: str

    def heads(self) -> dict[str, HeadSuggestion]:
        return {"type": self.type, "subject_category": self.subject_category, "service": self.service}


class Suggester:
    """The three loaded pipelines; one instance per models directory, built lazily by `suggest`."""

    def __init__(self, models_dir: Path) -> None:
        self.pipelines: dict[str, Language] = {}
        for head in HEADS:
            model_dir = models_dir / head
            if not (model_dir / "meta.json").exists():
                raise ModelsNotBuilt(f"no model for {head} in {models_dir}; run `python -m classifiers train`")
            self.pipelines[head] = spacy.load(model_dir)
        self.versions = {
            head: str(nlp.meta.get(VERSION_META_KEY, "unversioned")) for head, nlp in self.pipelines.items()
        }
        joined = "\n".join(self.versions[head] for head in HEADS)
        self.model_version = f"feedback-{hashlib.sha256(joined.encode()).hexdigest()[:12]}"

    def suggest_many(self, texts: list[str]) -> list[Suggestion]:
        per_head = {head: list(predict_labels(nlp, texts)) for head, nlp in self.pipelines.items()}
        results: list[Suggestion] = []
        for i in range(len(texts)):
            heads = {
                head: HeadSuggestion(
                    label=per_head[head][i][0], score=per_head[head][i][1], version=self.versions[head]
                )
                for head in HEADS
            }
            results.append(Suggestion(**heads, model_version=self.model_version))
        return results


_lock = threading.Lock()
_loaded: dict[Path, Suggester] = {}


def get_suggester(models_dir: Path | None = None) -> Suggester:
    """The suggester for `models_dir` (default: the build tree), loaded once per process."""
    key = (models_dir or BuildPaths().models).resolve()
    with _lock:
        if key not in _loaded:
            _loaded[key] = Suggester(key)
        return _loaded[key]


def suggest(text: str, *, models_dir: Path | None = None) -> Suggestion:
    """Suggest type, subject category and service for one case text."""
    return get_suggester(models_dir).suggest_many([text])[0]
