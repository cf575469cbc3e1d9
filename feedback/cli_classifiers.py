"""`feedback classifiers …` (train, evaluate, predict, export corrections) and `feedback classify` (the worker).

Training and evaluation write under `classifiers/build/` (see classifiers/README.md); `make` runs them, so
the models are rebuilt whenever the corpus or the configs change.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

import click

from classifiers.paths import ARCHITECTURES, BuildPaths
from classifiers.split import DEFAULT_SEED, write_splits
from feedback.cli import Context, database_errors, main, pass_context, require_current_schema
from feedback.cli_mail import configure_logging, until_signalled
from store.db import transaction
from store.labels import HEADS

build_dir_option = click.option(
    "--build-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=BuildPaths().root,
    show_default=True,
    help="Where splits, runs, models and reports are written.",
)


@main.group()
def classifiers() -> None:
    """Train, evaluate and run the type, subject category and service classifiers."""


@classifiers.command()
@build_dir_option
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the train/dev/test split.")
@click.option("--head", "heads", multiple=True, type=click.Choice(list(HEADS)), help="Only these heads.")
@click.option("--arch", "archs", multiple=True, type=click.Choice(ARCHITECTURES), help="Only these architectures.")
def train(build_dir: Path, seed: int, heads: tuple[str, ...], archs: tuple[str, ...]) -> None:
    """Split the corpus, train every architecture per head, keep the one that scores best on dev."""
    from classifiers.train import train_all

    paths = BuildPaths(build_dir)
    click.echo(f"split: {json.dumps(write_splits(paths, seed=seed))}")
    started = time.perf_counter()
    comparison = train_all(paths, heads=heads or tuple(HEADS), archs=archs or ARCHITECTURES)
    for head, entry in comparison.items():
        runs = ", ".join(f"{arch} {run['dev_macro_f1']:.3f}" for arch, run in entry["runs"].items())
        threshold = entry["review_threshold"]
        click.echo(
            f"{head}: dev macro-F1 {runs}; kept {entry['chosen']} ({entry['version']}); "
            f"review below {threshold['score']:.3f} ({threshold['dev_coverage']:.0%} of dev trusted)"
        )
    click.echo(f"trained in {time.perf_counter() - started:.0f} s; comparison in {paths.comparison}")


@classifiers.command()
@build_dir_option
def evaluate(build_dir: Path) -> None:
    """Score the installed models on the held-out test split; write report.json and report.md."""
    from classifiers.evaluate import evaluate as run_evaluation

    paths = BuildPaths(build_dir)
    if not paths.split("test").exists():
        raise click.ClickException("no test split yet: run `feedback classifiers train` first")
    report = run_evaluation(paths)
    for head, result in report["heads"].items():
        click.echo(f"{head}: macro-F1 {result['macro_f1']:.3f} (target {result['target_macro_f1']:.2f})")
    click.echo(f"report: {paths.report_md}")


@classifiers.command()
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option(
    "--models-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Models to use (default: classifiers.models_dir in config.yml).",
)
@pass_context
def predict(ctx: Context, source: TextIO, models_dir: Path | None) -> None:
    """Score JSON lines with a `text` field (SOURCE '-' reads stdin): one JSON line out per line in."""
    from classifiers.suggester import ModelsNotBuilt, get_suggester, predict_stream

    config = ctx.app.settings.classifiers
    try:
        suggester = get_suggester(models_dir or config.models_dir, config.thresholds)
    except ModelsNotBuilt as error:
        raise click.ClickException(str(error)) from None
    scored, refused = predict_stream(source, sys.stdout, suggester)
    click.echo(f"scored {scored} line(s), refused {refused}", err=True)
    if refused:
        sys.exit(1)


@classifiers.command("export-corrections")
@click.option(
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: stdout).",
)
@pass_context
def export_corrections(ctx: Context, output: TextIO) -> None:
    """Write the CRT's overrides as corpus lines, so the next training learns from them.

    Contact details are masked, but the text is still a real person's words: read the file before adding
    it to classifiers/data/.
    """
    from classifiers.corrections import training_record
    from feedback.classification import case_text
    from store.review import corrections

    app = ctx.app
    require_current_schema(app)
    count = 0
    with database_errors(app), transaction(app.sessions) as session:
        for correction in corrections(session):
            text = case_text(session, correction.case)
            if not text.strip():
                continue
            record = training_record(
                text, correction.labels, channel=correction.case.channel, role=correction.case.complainant_role
            )
            output.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    click.echo(f"exported {count} corrected case(s); read them for personal details before training on them", err=True)


@main.command()
@click.option("--once", is_flag=True, help="Classify every waiting case, then exit.")
@pass_context
def classify(ctx: Context, once: bool) -> None:
    """Store suggestions for new cases and apply the safeguarding and area rules (without the API)."""
    from classifiers.suggester import ModelsNotBuilt
    from feedback.classification import ClassificationWorker

    app = ctx.app
    require_current_schema(app)
    configure_logging()
    worker = ClassificationWorker(app)
    try:
        worker.load_models()
    except ModelsNotBuilt as error:
        raise click.ClickException(str(error)) from None
    if once:
        with database_errors(app):
            click.echo(f"classified {worker.drain()} case(s)")
        return
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="classifier", daemon=True)
    thread.start()
    click.echo(f"classifying new cases with the models in {app.settings.classifiers.models_dir}; Ctrl-C stops")
    until_signalled(stop)
    app.cases_waiting.set()
    thread.join(timeout=30)
