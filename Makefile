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

# The assistant's model is a build output (bot/models/, not committed), retrained only when its inputs change.
# Same data, same seeds, same model: no hash randomisation, deterministic TensorFlow kernels, no telemetry.
BOT_RASA := PYTHONHASHSEED=0 TF_DETERMINISTIC_OPS=1 RASA_TELEMETRY_ENABLED=false ../$(BOT_VENV)/bin/rasa
BOT_MODEL := bot/models/feedback.tar.gz
BOT_INPUTS := bot/config.yml bot/domain.yml $(wildcard bot/data/*.yml)
# The classifiers' models are build outputs: retrained when the corpus, a config or the training code changes.
MODELS := classifiers/build/models/.built
MODEL_INPUTS := $(wildcard classifiers/data/*.jsonl classifiers/configs/*.cfg) \
	$(addprefix classifiers/,corpus.py split.py train.py tokenizer.py thresholds.py metrics.py predict.py)

.PHONY: run test install models evaluate lint typecheck pytest lock bench clean bot-model bot-test bot-nlu-report \
	browser

run: install models $(BOT_MODEL)
	$(BIN)/feedback db upgrade
	$(BIN)/feedback run --demo-token alex.morgan@council.example

test: install lint typecheck bot-test pytest evaluate

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

# The assistant's actions run on Python 3.10 against rasa_sdk (untyped), so they are checked on their own.
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff check --target-version py310 bot/actions
	$(BIN)/ruff format --check --target-version py310 bot/actions

typecheck: $(VENV)/.installed $(BOT_VENV)/.installed
	$(BIN)/mypy
	$(BIN)/mypy --python-executable $(BOT_VENV)/bin/python --python-version 3.10 --follow-imports=silent \
		--ignore-missing-imports --allow-subclassing-any bot/actions

pytest: install $(BOT_MODEL) browser
	$(BIN)/pytest

bot-model: $(BOT_MODEL)

$(BOT_MODEL): $(BOT_INPUTS) $(BOT_VENV)/.installed
	@mkdir -p bot/models
	@echo "Training the assistant's model (about a minute; log in bot/models/train.log)"
	cd bot && $(BOT_RASA) train --fixed-model-name feedback --out models >models/train.log 2>&1 \
		|| { tail -40 models/train.log; exit 1; }

# The training data is consistent, and every test story (bot/tests/) is predicted exactly by the model.
bot-test: $(BOT_MODEL)
	@mkdir -p bot/results
	cd bot && $(BOT_RASA) data validate >results/validate.log 2>&1 || { cat results/validate.log; exit 1; }
	cd bot && $(BOT_RASA) test core --stories tests/test_stories.yml -m models/feedback.tar.gz \
		--fail-on-prediction-errors --out results/core >results/test-core.log 2>&1 \
		|| { grep -v "it/s" results/test-core.log | tail -40; exit 1; }
	@echo "bot: data valid, all test stories predicted (bot/results/core/)"

# NLU cross-validation (3 folds): intent reports and confusion matrix under bot/reports/nlu-cv/.
bot-nlu-report: $(BOT_VENV)/.installed
	@mkdir -p bot/reports/nlu-cv
	cd bot && $(BOT_RASA) test nlu --nlu data/nlu.yml --config config.yml --cross-validation --folds 3 \
		--out reports/nlu-cv >reports/nlu-cv/run.log 2>&1 || { tail -40 reports/nlu-cv/run.log; exit 1; }
	@grep -E "test (Accuracy|F1-score|Precision)" bot/reports/nlu-cv/run.log | sed "s/.*rasa.nlu.test  - //"

# Headless Chromium and its driver for the chat page's end-to-end test (Debian's packages; we are root).
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { \
		echo "Installing Debian's chromium and chromium-driver for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

bench: install models
	$(BIN)/python -m bench

# Re-pin after editing requirements/*.in or bot/requirements.in.
lock: $(VENV)/.installed
	cd requirements && ../$(UV) pip compile --quiet --python-version 3.11 app.in -o app.txt
	cd requirements && ../$(UV) pip compile --quiet --python-version 3.11 dev.in -o dev.txt
	$(UV) pip compile --quiet --python-version 3.10 bot/requirements.in -o bot/requirements.txt

clean:
	rm -rf $(VENV) $(BOT_VENV) var .mypy_cache .pytest_cache .ruff_cache bot/models bot/results bot/reports
