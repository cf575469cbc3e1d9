"""`suggest(text)`: the three heads' labels with scores and the model version, for one case.

The models are build outputs (`build/models/<head>/`), loaded on first use and then kept, so importing
`classifiers` loads no model and intake pays the load time once per process.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import spacy
from spacy.language import Language

from store.labels import HEADS
from store.service import MAX_TEXT_CHARS

from .paths import BuildPaths
from .predict import predict_labels
from .thresholds import REVIEW_ALL

VERSION_META_KEY = "feedback_version"
THRESHOLD_META_KEY = "feedback_review_threshold"


class ModelsNotBuilt(RuntimeError):
    """The models have not been trained: run `python -m classifiers train` (the lead wires this into make)."""


@dataclass(frozen=True)
class HeadSuggestion:
    label: str
    score: float
    version: str
    # Below the head's review threshold (chosen on the dev split, or set in config): the CRT should read it.
    needs_review: bool


@dataclass(frozen=True)
class Suggestion:
    """One suggestion per head; `model_version` (under 80 characters) identifies all three models together."""

    type: HeadSuggestion
    subject_category: HeadSuggestion
    service: HeadSuggestion
    model_version: str

    def heads(self) -> dict[str, HeadSuggestion]:
        return {"type": self.type, "subject_category": self.subject_category, "service": self.service}

    @property
    def needs_review(self) -> bool:
        return any(head.needs_review for head in self.heads().values())


class Suggester:
    """The three loaded pipelines; one instance per models directory, built lazily by `suggest`."""

    def __init__(self, models_dir: Path, thresholds: Mapping[str, float] | None = None) -> None:
        self.pipelines: dict[str, Language] = {}
        for head in HEADS:
            model_dir = models_dir / head
            if not (model_dir / "meta.json").exists():
                raise ModelsNotBuilt(f"no model for {head} in {models_dir}; run `python -m classifiers train`")
            self.pipelines[head] = spacy.load(model_dir)
        self.versions = {
            head: str(nlp.meta.get(VERSION_META_KEY, "unversioned")) for head, nlp in self.pipelines.items()
        }
        self.thresholds = {
            head: float((thresholds or {}).get(head, nlp.meta.get(THRESHOLD_META_KEY, REVIEW_ALL)))
            for head, nlp in self.pipelines.items()
        }
        joined = "\n".join(self.versions[head] for head in HEADS)
        self.model_version = f"feedback-{hashlib.sha256(joined.encode()).hexdigest()[:12]}"

    def suggest_many(self, texts: list[str]) -> list[Suggestion]:
        per_head = {head: list(predict_labels(nlp, texts)) for head, nlp in self.pipelines.items()}
        results: list[Suggestion] = []
        for i in range(len(texts)):
            heads = {
                head: HeadSuggestion(
                    label=per_head[head][i][0],
                    score=per_head[head][i][1],
                    version=self.versions[head],
                    needs_review=per_head[head][i][1] < self.thresholds[head],
                )
                for head in HEADS
            }
            results.append(Suggestion(**heads, model_version=self.model_version))
        return results


_lock = threading.Lock()
_loaded: dict[tuple[Path, tuple[tuple[str, float], ...]], Suggester] = {}


def get_suggester(models_dir: Path | None = None, thresholds: Mapping[str, float] | None = None) -> Suggester:
    """The suggester for `models_dir` (default: the build tree), loaded once per process."""
    directory = (models_dir or BuildPaths().models).resolve()
    key = (directory, tuple(sorted((thresholds or {}).items())))
    with _lock:
        if key not in _loaded:
            _loaded[key] = Suggester(directory, thresholds)
        return _loaded[key]


def suggest(text: str, *, models_dir: Path | None = None) -> Suggestion:
    """Suggest type, subject category and service for one case text."""
    return get_suggester(models_dir).suggest_many([text])[0]


def predict_stream(source: TextIO, sink: TextIO, suggester: Suggester) -> tuple[int, int]:
    """JSON lines with a `text` field in, one JSON line per input line out; returns (scored, refused).

    A line that is not a JSON object with a non-empty string `text` gets an `error` line in its place, so
    output line N always answers input line N and one bad line loses none of the others.
    """
    scored = refused = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        text = _text_of(line)
        if isinstance(text, _Refusal):
            sink.write(json.dumps({"line": number, "error": text.reason}) + "\n")
            refused += 1
            continue
        suggestion = suggester.suggest_many([text])[0]
        record: dict[str, object] = {"line": number}
        for head, head_suggestion in suggestion.heads().items():
            record[head] = head_suggestion.label
            record[f"{head}_score"] = round(head_suggestion.score, 4)
            record[f"{head}_needs_review"] = head_suggestion.needs_review
        record["model_version"] = suggestion.model_version
        sink.write(json.dumps(record) + "\n")
        scored += 1
    return scored, refused


@dataclass(frozen=True)
class _Refusal:
    reason: str


def _text_of(line: str) -> str | _Refusal:
    try:
        record = json.loads(line)
    except ValueError as error:
        return _Refusal(f"not JSON: {error}")
    if not isinstance(record, dict):
        return _Refusal("expected a JSON object with a text field")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return _Refusal("the text field must be a non-empty string")
    if len(text) > MAX_TEXT_CHARS:
        return _Refusal(f"text longer than {MAX_TEXT_CHARS} characters")
    return text
