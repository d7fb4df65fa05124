# socialmetrics — `make run` for a served, trained demo; `make test` for the test suite.
# Run `make help` for the rest.

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
BIN := $(VENV)/bin
PY := $(BIN)/python
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run serve worker test lint format bench bench-accuracy bench-training bench-active-learning bench-serving \
	bench-scale bench-jobs bench-learning-curve bench-spark spark spark-package load-test system-deps clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 24

run: $(VENV)/.runtime .env  ## Fresh clone to a served, trained demo on http://$(HOST):$(PORT)
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py setup_demo
	@echo "Serving the demo on http://$(HOST):$(PORT)/ (API: POST /api/predict, admin: /admin/). Ctrl-C stops."
	@echo "A job worker runs beside it (retrain from the admin, activation, file scoring; docs/jobs.md)."
	DJANGO_DEBUG=1 $(BIN)/celery -A socialmetrics worker -l warning & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

worker: $(VENV)/.runtime .env  ## A job worker (Celery) on CELERY_BROKER_URL; production runs it under systemd
	$(BIN)/celery -A socialmetrics worker -l info

serve: $(VENV)/.runtime .env  ## Production server: gunicorn, DEBUG off (WORKERS=n to override)
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py collectstatic --noinput -v 0
	DJANGO_DEBUG=0 HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c python:socialmetrics.gunicorn socialmetrics.wsgi

test: $(VENV)/.dev  ## Run the test suite (DATABASE_URL=mysql://... for MySQL/MariaDB)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev  ## ruff (lint and format check), mypy (types of sentiment/ and socialmetrics/)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# mypy's Django plugin imports the settings: no .env, and a key that only lint uses.
	SOCIALMETRICS_ENV_FILE= DJANGO_SECRET_KEY=lint-only-not-secret $(BIN)/mypy sentiment socialmetrics

format: $(VENV)/.dev  ## ruff: fix what can be fixed, format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: bench-accuracy bench-training bench-active-learning bench-serving bench-scale bench-jobs  ## Every benchmark (long); results in docs/

bench-accuracy: $(VENV)/.dev  ## Transfer and in-domain accuracy on ../shared/data -> docs/accuracy.md
	$(PY) bench/accuracy.py --levers

bench-training: $(VENV)/.dev  ## Training time, memory and prediction latency (printed; see docs/accuracy.md)
	$(PY) bench/train_speed.py
	$(PY) bench/train_speed.py --latency

bench-active-learning: $(VENV)/.dev  ## Queue order vs random labelling -> docs/active-learning.md
	$(PY) bench/active_learning.py

bench-serving: $(VENV)/.dev  ## socialmetrics vs the Flask app vs in-process, with wrk; profile -> docs/benchmarks.md
	$(PY) bench/serving.py
	$(PY) bench/profile_request.py
	$(PY) bench/tail_latency.py
	$(PY) bench/access_log_cost.py
	$(PY) bench/request_phases.py

bench-scale: $(VENV)/.dev  ## 1M tweets on MariaDB: import, retrain, admin, rescoring -> docs/scaling.md
	$(PY) bench/scale.py

bench-jobs: $(VENV)/.dev  ## score_tweets on 1M tweets (2 processes vs 1), retrain button to serving -> docs/jobs.md
	nice -n 5 $(PY) bench/jobs.py

bench-spark: $(VENV)/.spark  ## Tweets/s on 1M tweets: in-process, score_tweets' pool, Spark local[1] and [2] -> docs/scaling.md
	nice -n 5 $(PY) bench/spark_scoring.py

bench-learning-curve: $(VENV)/.dev  ## Macro recall, fit time and memory vs training size -> docs/scaling.md
	nice -n 5 $(PY) bench/learning_curve.py

load-test: $(VENV)/.dev  ## 65 s of load through a retrain, on MariaDB at 127.0.0.1; results in docs/
	$(PY) bench/load_test.py

spark: $(VENV)/.spark  ## Install the optional Spark scoring (requirements-spark.txt) into the venv

spark-package:  ## For executors: var/spark/socialmetrics-ml.zip (--py-files, committed code) + pins
	@mkdir -p var/spark
	git archive --format=zip -o var/spark/socialmetrics-ml.zip HEAD sentiment/__init__.py sentiment/ml sentiment/spark
	@# The executors' packages, pinned as the servers' are (docs/spark.md).
	grep -iE '^(scikit-learn|numpy|scipy|joblib|vaderSentiment)==' requirements.txt > var/spark/requirements-executor.txt
	grep -vE '^\s*(#|$$)' requirements-spark.txt >> var/spark/requirements-executor.txt
	cp requirements-data.txt var/spark/requirements-executor-data.txt
	@echo "var/spark/socialmetrics-ml.zip: pass with --py-files; on every executor:"
	@echo "  pip install -r var/spark/requirements-executor.txt"
	@echo "  pip install --no-deps -r var/spark/requirements-executor-data.txt"

clean:  ## Remove the virtualenv and local state (database, models, logs)
	rm -rf $(VENV) var

# --- environment --------------------------------------------------------------------------

PIP := $(BIN)/pip install --quiet --disable-pip-version-check

$(VENV)/.runtime: requirements.txt requirements-data.txt | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps -r requirements-data.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-data.txt requirements-dev.txt | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements-dev.txt
	$(PIP) --no-deps -r requirements-data.txt
	touch $(VENV)/.runtime $@

# The optional Spark scoring (a Java runtime too: .ci/run installs Debian's when missing).
$(VENV)/.spark: requirements-spark.txt | $(VENV)/.dev
	$(PIP) -r requirements-spark.txt
	touch $@

# mysqlclient compiles against the MySQL/MariaDB client headers.
system-deps:
	@if ! pkg-config --exists mysqlclient 2>/dev/null && ! pkg-config --exists libmariadb 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing the MySQL client headers that mysqlclient builds against (apt-get)"; \
	    pkgs="default-libmysqlclient-dev pkg-config"; command -v cc >/dev/null || pkgs="$$pkgs build-essential"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs >/dev/null; \
	  else \
	    echo "mysqlclient needs the MySQL client headers. Install them, then run make again:"; \
	    echo "    sudo apt-get install default-libmysqlclient-dev pkg-config build-essential"; \
	    exit 1; \
	  fi; \
	fi

# A local configuration with a freshly generated secret key; never committed.
.env: | $(VENV)/.runtime
	@key=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))'); \
	  sed "s|^DJANGO_SECRET_KEY=.*|DJANGO_SECRET_KEY=$$key|" .env.example > .env
	@echo "Wrote .env with a generated DJANGO_SECRET_KEY (edit it to configure the service)"
