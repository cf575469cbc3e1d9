# The two commands of the Quick start are `make run` and `make test`; everything else is what they need.
# Both virtual environments are built from pinned files and rebuilt only when those files change.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BOT_VENV := .venv-bot
BIN := $(VENV)/bin
UV := $(BIN)/uv
# Tests use a private PostgreSQL database that they create and drop; override to point elsewhere.
export FEEDBACK_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

# The classifiers' models are build outputs: retrained when the corpus, a config or the training code changes.
MODELS := classifiers/build/models/.built
MODEL_INPUTS := $(wildcard classifiers/data/*.jsonl classifiers/configs/*.cfg) \
	$(addprefix classifiers/,corpus.py split.py train.py tokenizer.py thresholds.py metrics.py predict.py)

.PHONY: run test install models evaluate lint typecheck pytest lock bench clean

run: install models
	$(BIN)/feedback db upgrade
	$(BIN)/feedback run --demo-token alex.morgan@council.example

test: install lint typecheck pytest evaluate

install: $(VENV)/.installed $(BOT_VENV)/.installed

# The application's environment: default python3 (3.11), pinned app and dev requirements, the package itself.
$(VENV)/.installed: requirements/app.txt requirements/dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install --quiet --python $(BIN)/python -r requirements/app.txt -r requirements/dev.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# The assistant's environment: Python 3.10 and Rasa 3.6.21, found by scripts/find-python3.10.
$(BOT_VENV)/.installed: bot/requirements.txt | $(VENV)/.installed
	py310=$$(scripts/find-python3.10) && { test -x $(BOT_VENV)/bin/python || $(UV) venv --quiet --python "$$py310" $(BOT_VENV); }
	$(UV) pip install --quiet --python $(BOT_VENV)/bin/python -r bot/requirements.txt
	touch $@

models: $(MODELS)

$(MODELS): $(MODEL_INPUTS) | $(VENV)/.installed
	$(BIN)/feedback classifiers train
	touch $@

# The held-out test split, scored once per build of the models: classifiers/build/report.md.
evaluate: $(MODELS)
	$(BIN)/feedback classifiers evaluate

lint: $(VENV)/.installed
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

bench: install models
	$(BIN)/python -m bench

# Re-pin after editing requirements/*.in or bot/requirements.in.
lock: $(VENV)/.installed
	cd requirements && ../$(UV) pip compile --quiet --python-version 3.11 app.in -o app.txt
	cd requirements && ../$(UV) pip compile --quiet --python-version 3.11 dev.in -o dev.txt
	$(UV) pip compile --quiet --python-version 3.10 bot/requirements.in -o bot/requirements.txt

clean:
	rm -rf $(VENV) $(BOT_VENV) var .mypy_cache .pytest_cache .ruff_cache
