# Tessera — two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Links the portal sends (e-mails, the welcome SMS) point where `make run` serves.
PORTAL_ORIGIN ?= http://$(HOST):$(PORT)

.PHONY: help install messages run migrate demo test test-fast test-sqlite lint format worker beat bench bench-pages bench-ledger bench-recharge bench-webhooks bench-invoices check-deploy totp clean

help:
	@echo "make run     install, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test    install and run the whole suite (PostgreSQL when reachable)"
	@echo "make test-fast  the suite without the tests marked slow (browser, workers, races)"
	@echo "make lint    ruff, import-linter (the layers of the apps) and messages_check (de/fr/pl complete)"
	@echo "make worker  Celery worker      make beat  Celery beat"
	@echo "make bench   the benchmarks under bench/"
	@echo "make bench-recharge  recharge POSTs on gunicorn + Celery vs a minimal page"
	@echo "make bench-webhooks  signed Stripe events (20 % replays) on gunicorn + Celery vs a minimal page"
	@echo "make bench-invoices  invoices issued + drawn (PDF/A-3b, Factur-X) by 2 processes vs a bare render"

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency files change.
# requirements/dev.lock includes requirements/base.lock (the runtime lock the Dockerfile uses).
$(STAMP): $(PY) pyproject.toml requirements/base.lock requirements/dev.lock
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Translations: locale/*.po are the sources; the .mo files are built here (git ignores them).
messages: install
	@if command -v msgfmt >/dev/null 2>&1; then $(PY) manage.py compilemessages --ignore=.venv -v0; \
	else echo "msgfmt not found (apt-get install gettext): the portal runs in English only"; fi

migrate: install messages
	$(PY) manage.py migrate --noinput

demo: migrate
	PORTAL_ORIGIN=$(PORTAL_ORIGIN) $(PY) manage.py demo_data

# The loopback fakes of Stripe and PayPal serve the demo's card and PayPal payments
# (payments/fakes/); they stop with the server.
PAYMENT_FAKES_PORT ?= $(shell expr $(PORT) + 1)
run: demo
	@PORTAL_ORIGIN=$(PORTAL_ORIGIN) PAYMENT_FAKES_PORT=$(PAYMENT_FAKES_PORT) $(PY) manage.py payment_fakes & \
	fakes=$$!; trap "kill $$fakes 2>/dev/null" EXIT INT TERM; \
	PORTAL_ORIGIN=$(PORTAL_ORIGIN) PAYMENT_FAKES_PORT=$(PAYMENT_FAKES_PORT) $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The suite without the tests marked slow (browser journeys, real workers, concurrency,
# hypothesis, anything over about 2 s): for the edit-and-test loop, never instead of `make test`.
test-fast: install
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

test-sqlite: install
	TESSERA_TEST_SQLITE=1 $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(PY) manage.py messages_check

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

bench: bench-pages bench-ledger

bench-pages: install
	$(PY) bench/pages.py

bench-ledger: install
	$(PY) bench/ledger.py

bench-recharge: install
	$(PY) bench/recharge.py

bench-webhooks: install
	$(PY) bench/webhooks.py

bench-invoices: install
	$(PY) bench/invoices.py

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	ALLOWED_HOSTS=tessera.example.com DATABASE_URL=sqlite:////tmp/tessera-check.sqlite3 \
	$(PY) manage.py check --deploy --fail-level WARNING

totp: install
	$(PY) manage.py demo_totp

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache db.sqlite3 test.sqlite3
