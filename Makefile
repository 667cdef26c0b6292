# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Tests run against PostgreSQL and Redis on loopback; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clientprofit
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# `make serve` runs the production stack here, on its own database (created if missing).
SERVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clientprofit_serve
SERVE_REDIS_URL ?= redis://127.0.0.1:6379/0
PORT ?= 8000
WEB_CONCURRENCY ?= 2

.PHONY: run serve test lint typecheck format migrate seed worker beat bench clean chromium pdf venv

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py recompute
	$(BIN)/python manage.py demo_users
	$(BIN)/python manage.py seed_demo_audit

run: seed pdf
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The production stack on this machine over plain HTTP: gunicorn, one Celery worker and one beat
# (Procfile, run by honcho). Ctrl-C stops all three. See README.md, "make serve".
serve: $(STAMP) pdf
	DATABASE_URL=$(SERVE_DATABASE_URL) REDIS_URL=$(SERVE_REDIS_URL) PORT=$(PORT) \
		WEB_CONCURRENCY=$(WEB_CONCURRENCY) DEBUG=false LOCAL_HTTP=true ALLOWED_HOSTS=127.0.0.1,localhost \
		$(BIN)/python scripts/serve.py

# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium fonts-dejavu-core >/dev/null)

# Letters are rendered to PDF by WeasyPrint, which needs Pango at run time; pdftoppm (poppler-utils)
# turns the PDFs into images in the tests.
pdf:
	@command -v pdftoppm >/dev/null && ldconfig -p | grep -q libpangoft2-1.0 || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
		libharfbuzz-subset0 fonts-dejavu-core poppler-utils >/dev/null)

test: $(STAMP) chromium pdf
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python scripts/check_services.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest --create-db $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: $(STAMP)
	$(BIN)/celery -A config worker --loglevel=info

beat: $(STAMP)
	$(BIN)/celery -A config beat --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
