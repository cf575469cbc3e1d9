"""`feedback classifiers predict|export-corrections|train|evaluate` and `feedback classify`, run in-process.

Uses the CLI fixtures of test_cli.py (a temporary SQLite database and config) and the session's tiny build.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import CRT, Run, assert_clear_failure, write_config

from classifiers.paths import BuildPaths
from feedback.application import Application
from feedback.settings import load_settings
from store.actors import Actor
from store.contacts import ContactDetails
from store.db import transaction
from store.labels import HEADS
from store.models import Case
from store.service import NewCase


@pytest.fixture
def models_config(config_path: Path, tiny_build: BuildPaths) -> Path:
    """The temporary config, pointing at the tiny trained models."""
    return write_config(config_path.parent, classifiers={"models_dir": str(tiny_build.models)})


def _open(config: Path, text: str, **fields: object) -> str:
    application = Application.build(load_settings(config, environ={}))
    try:
        new = NewCase(
            channel="email",
            text=text,
            contact=ContactDetails(name="Jo Bloggs", email="jo.bloggs@example.org", phone="07700 900123"),
            complainant_role="parent_carer",
            **fields,  # type: ignore[arg-type]
        )
        with transaction(application.sessions) as session:
            return application.service.open_case(session, new, Actor.channel("email")).reference
    finally:
        application.close()


def test_predict_scores_a_file_of_json_lines(run: Run, models_config: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "the taxi never came"}\n{"text": "thanks to the adoption team"}\n')
    result = run("classifiers", "predict", str(source), config=models_config)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 2
    for record in records:
        assert {record[head] in labels for head, labels in HEADS.items()} == {True}
        assert record["model_version"].startswith("feedback-")
    assert "scored 2 line(s), refused 0" in result.stderr


def test_predict_refuses_bad_lines_keeps_the_rest_and_fails(run: Run, models_config: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "the taxi never came"}\n{oops\n')
    result = run("classifiers", "predict", str(source), config=models_config)
    assert result.exit_code == 1
    good, bad = (json.loads(line) for line in result.stdout.splitlines())
    assert good["line"] == 1 and "service" in good
    assert bad == {"line": 2, "error": bad["error"]} and bad["error"].startswith("not JSON")


def test_predict_without_models_says_how_to_build_them(run: Run, config_path: Path, tmp_path: Path) -> None:
    config = write_config(config_path.parent, classifiers={"models_dir": str(tmp_path / "none")})
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "hello"}\n')
    assert_clear_failure(run("classifiers", "predict", str(source), config=config), "classifiers train")


def test_classify_once_stores_suggestions_for_waiting_cases(run: Run, models_config: Path) -> None:
    reference = _open(models_config, "my daughter has bruises and is scared to go home")
    result = run("classify", "--once", config=models_config)
    assert result.exit_code == 0, result.output
    assert "classified 1 case(s)" in result.stdout
    shown = json.loads(run("case", "show", reference, "--as", CRT, "--json", config=models_config).stdout)
    assert {s["head"] for s in shown["suggestions"]} == set(HEADS)
    assert shown["urgent"] is True and shown["team"] == "childrens_initial_response"
    listed = run("case", "list", "--review", "--as", CRT, config=models_config)
    assert reference in listed.stdout and "URGENT" in listed.stdout


def test_export_corrections_writes_overrides_as_masked_corpus_lines(run: Run, models_config: Path) -> None:
    reference = _open(
        models_config, "Ring me on 07700 900123 or jo.bloggs@example.org: the bus to Riverside never came (FB ref)"
    )
    untouched = _open(models_config, "a case the CRT has not reviewed yet")
    assert run("classify", "--once", config=models_config).exit_code == 0
    for head in HEADS:
        label = {"type": "complaint", "subject_category": "commissioned_service", "service": "school_transport"}[head]
        result = run("case", "override", reference, "--head", head, "--label", label, "--as", CRT, config=models_config)
        if result.exit_code != 0:  # the model already said so: overriding with the same label is still a review
            assert result.exit_code == 0, result.output

    exported = run("classifiers", "export-corrections", config=models_config)
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(lines) == 1
    [line] = lines
    assert line["type"] == "complaint" and line["service"] == "school_transport"
    assert line["subject_category"] == "commissioned_service"
    assert line["source"] == "correction" and line["channel"] == "email" and line["author"] == "parent"
    assert "07700 900123" not in line["text"] and "jo.bloggs@example.org" not in line["text"]
    assert "the bus to Riverside never came" in line["text"]
    assert untouched not in exported.stdout
    assert "read them for personal details" in exported.stderr


def test_export_corrections_with_none_writes_nothing(run: Run) -> None:
    result = run("classifiers", "export-corrections")
    assert result.exit_code == 0 and result.stdout == ""
    assert "exported 0" in result.stderr


def test_evaluate_before_training_is_a_clear_error(run: Run, tmp_path: Path) -> None:
    assert_clear_failure(run("classifiers", "evaluate", "--build-dir", str(tmp_path)), "classifiers train")


def test_cases_are_left_unclassified_for_the_worker(models_config: Path) -> None:
    reference = _open(models_config, "question about the eleven plus")
    application = Application.build(load_settings(models_config, environ={}))
    try:
        with transaction(application.sessions) as session:
            case = session.query(Case).filter_by(reference=reference).one()
            assert case.classified_at is None
    finally:
        application.close()
