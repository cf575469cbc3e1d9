"""The honest report: the installed models scored on the test split, which nothing else reads.

Writes `report.json` (everything, machine-readable) and `report.md` (the same numbers for people).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import spacy

from store.labels import HEADS

from .corpus import LabelledText, read_jsonl
from .metrics import calibration, confusion, macro_f1, per_label
from .paths import BuildPaths
from .predict import predict_labels
from .suggester import THRESHOLD_META_KEY, VERSION_META_KEY
from .thresholds import coverage_and_precision

TARGETS = {"type": 0.90, "subject_category": 0.70, "service": 0.85}


def evaluate_head(nlp: spacy.language.Language, examples: Sequence[LabelledText], head: str) -> dict[str, Any]:
    """All the numbers for one head on the given examples."""
    labels = HEADS[head]
    results = list(predict_labels(nlp, [ex.text for ex in examples]))
    gold = [ex.labels[head] for ex in examples]
    predicted = [label for label, _ in results]
    scores = [score for _, score in results]
    threshold = float(nlp.meta.get(THRESHOLD_META_KEY, 0.0))
    outcomes = [(score, g == p) for g, p, score in zip(gold, predicted, scores, strict=True)]
    coverage, trusted_precision = coverage_and_precision(outcomes, threshold)
    return {
        "version": nlp.meta.get(VERSION_META_KEY, "unversioned"),
        "n": len(examples),
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0,
        "macro_f1": macro_f1(gold, predicted, labels),
        "target_macro_f1": TARGETS[head],
        "per_label": per_label(gold, predicted, labels),
        "labels": list(labels),
        "confusion": confusion(gold, predicted, labels),
        "calibration": calibration(gold, predicted, scores),
        # The dev-chosen review threshold, tried on test: how many suggestions it trusts, and how often rightly.
        "review_threshold": {"score": threshold, "coverage": coverage, "precision": trusted_precision},
    }


def evaluate(paths: BuildPaths) -> dict[str, Any]:
    """Score every installed head on `splits/test.jsonl` and write both report files."""
    test_path = paths.split("test")
    examples = read_jsonl(test_path)
    report: dict[str, Any] = {
        "split": "test",
        "split_sha256": hashlib.sha256(test_path.read_bytes()).hexdigest(),
        "n": len(examples),
        "heads": {head: evaluate_head(spacy.load(paths.model(head)), examples, head) for head in HEADS},
    }
    paths.report_json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    paths.report_md.write_text(render_markdown(report), encoding="utf-8")
    return report


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown tables, one section per head."""
    lines = [f"# Classifier report: {report['split']} split ({report['n']} examples)", ""]
    lines += [
        "| head | macro-F1 | target | accuracy | review threshold | trusted (test) | right when trusted | model |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for head, result in report["heads"].items():
        met = "met" if result["macro_f1"] >= result["target_macro_f1"] else "**not met**"
        review = result["review_threshold"]
        trusted = "-" if review["precision"] is None else f"{review['precision']:.3f}"
        lines.append(
            f"| {head} | {result['macro_f1']:.3f} | {result['target_macro_f1']:.2f} ({met}) "
            f"| {result['accuracy']:.3f} | {review['score']:.3f} | {review['coverage']:.1%} | {trusted} "
            f"| `{result['version']}` |"
        )
    for head, result in report["heads"].items():
        lines += ["", f"## {head}", "", "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, row in result["per_label"].items():
            lines.append(
                f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |"
            )
        lines += ["", "Confusion matrix (rows gold, columns predicted):", ""]
        short = [str(i) for i in range(len(result["labels"]))]
        lines += ["| gold \\ predicted | " + " | ".join(short) + " |", "|---" * (len(short) + 1) + "|"]
        for i, (label, row) in enumerate(zip(result["labels"], result["confusion"], strict=True)):
            lines.append(f"| {i} {label} | " + " | ".join(str(n) for n in row) + " |")
        lines += ["", "Calibration (top score band vs accuracy):", ""]
        lines += ["| band | count | accuracy | mean score |", "|---|---|---|---|"]
        for row in result["calibration"]:
            acc = "-" if row["accuracy"] is None else f"{row['accuracy']:.3f}"
            mean = "-" if row["mean_score"] is None else f"{row['mean_score']:.3f}"
            lines.append(f"| {row['band']} | {row['count']} | {acc} | {mean} |")
    return "\n".join(lines) + "\n"
