"""Training produces loadable, versioned models; `suggest` and `predict` answer with valid labels.

Imports name submodules (`classifiers.suggester`), not the package: under pytest's default import mode this
directory, `tests/classifiers`, shadows the package's `__init__` as a namespace package; the public
`from classifiers import suggest` is checked in a subprocess instead.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.pipeline import TextCategorizer

from classifiers.corpus import read_jsonl
from classifiers.evaluate import evaluate
from classifiers.paths import BuildPaths
from classifiers.suggester import ModelsNotBuilt, get_suggester, predict_stream, suggest
from store.labels import HEADS
from store.review import MAX_MODEL_VERSION_CHARS


def test_training_writes_loadable_versioned_models(tiny_build: BuildPaths) -> None:
    for head, labels in HEADS.items():
        nlp = spacy.load(tiny_build.model(head))
        textcat = nlp.get_pipe("textcat")
        assert isinstance(textcat, TextCategorizer)
        assert set(textcat.labels) == set(labels)
        assert nlp.meta["feedback_version"].startswith(f"feedback-{head}-bow-")


def test_comparison_records_dev_scores_per_architecture(tiny_build: BuildPaths) -> None:
    comparison = json.loads(tiny_build.comparison.read_text())
    assert set(comparison) == set(HEADS)
    for entry in comparison.values():
        assert entry["chosen"] == "bow"
        assert 0.0 <= entry["runs"]["bow"]["dev_macro_f1"] <= 1.0


def test_suggest_returns_valid_labels_scores_and_version(tiny_build: BuildPaths) -> None:
    suggestion = suggest("nobody from the school transport team has called me back", models_dir=tiny_build.models)
    for head, head_suggestion in suggestion.heads().items():
        assert head_suggestion.label in HEADS[head]
        assert 0.0 <= head_suggestion.score <= 1.0
        assert head_suggestion.version.startswith(f"feedback-{head}-")
    assert suggestion.model_version.startswith("feedback-")
    assert len(suggestion.model_version) <= MAX_MODEL_VERSION_CHARS


def test_suggest_loads_models_once(tiny_build: BuildPaths) -> None:
    from classifiers.suggester import get_suggester

    assert get_suggester(tiny_build.models) is get_suggester(tiny_build.models)


def test_suggest_without_models_says_how_to_build_them(tmp_path: Path) -> None:
    with pytest.raises(ModelsNotBuilt, match="classifiers train"):
        suggest("hello", models_dir=tmp_path)


def test_predict_writes_one_line_per_input(tiny_build: BuildPaths) -> None:
    source = io.StringIO('{"text": "thank you to our social worker"}\n\n{"text": "when is the 11 plus test"}\n')
    sink = io.StringIO()
    assert predict_stream(source, sink, get_suggester(tiny_build.models)) == (2, 0)
    records = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [record["line"] for record in records] == [1, 3]
    for record in records:
        for head, labels in HEADS.items():
            assert record[head] in labels and 0.0 <= record[f"{head}_score"] <= 1.0
            assert isinstance(record[f"{head}_needs_review"], bool)
        assert record["model_version"].startswith("feedback-")


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("not json at all", "not JSON"),
        ('["a list"]', "JSON object"),
        ('{"txt": "wrong key"}', "non-empty string"),
        ('{"text": ""}', "non-empty string"),
        ('{"text": 42}', "non-empty string"),
        ('{"text": "' + "x" * 100_001 + '"}', "longer than"),
    ],
)
def test_predict_answers_a_bad_line_with_an_error_and_keeps_going(
    tiny_build: BuildPaths, line: str, error: str
) -> None:
    source = io.StringIO(line + '\n{"text": "my foster allowance is late"}\n')
    sink = io.StringIO()
    assert predict_stream(source, sink, get_suggester(tiny_build.models)) == (1, 1)
    refused, scored = (json.loads(out) for out in sink.getvalue().splitlines())
    assert refused["line"] == 1 and error in refused["error"]
    assert scored["line"] == 2 and scored["service"] in HEADS["service"]


def test_evaluation_scores_the_test_split_only(tiny_build: BuildPaths) -> None:
    report = evaluate(tiny_build)
    test_path = tiny_build.split("test")
    assert report["split"] == "test"
    assert report["n"] == len(read_jsonl(test_path))
    assert report["split_sha256"] == hashlib.sha256(test_path.read_bytes()).hexdigest()
    for head, result in report["heads"].items():
        assert result["n"] == report["n"]
        assert sum(map(sum, result["confusion"])) == report["n"]
        assert sum(row["support"] for row in result["per_label"].values()) == report["n"]
        assert 0.0 <= result["macro_f1"] <= 1.0
        assert result["version"].startswith(f"feedback-{head}-")
    assert "Confusion matrix" in tiny_build.report_md.read_text()


def test_public_import_exposes_suggest(tiny_build: BuildPaths) -> None:
    code = (
        "import sys; from pathlib import Path; from classifiers import suggest; "
        "print(suggest('my foster allowance is late', models_dir=Path(sys.argv[1])).service.label)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tiny_build.models)], capture_output=True, text=True, check=True, cwd="/"
    )
    assert done.stdout.strip() in HEADS["service"]
