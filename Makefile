# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Runs a command with DATABASE_URL / REDIS_URL set, starting an embedded PostgreSQL and
# Valkey for whichever is unset, and stopping them after.
WITH_SERVICES := $(BIN)/python -m leadroute.local_services --
# make test's own Valkey: its queues and flags never meet a running `make run`'s.
WITH_TEST_SERVICES := $(BIN)/python -m leadroute.local_services --own-redis --

.PHONY: run test manage bench install lint format migrate seed clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Local settings for this checkout (never committed): debug on and a secret key of its own.
.env:
	@umask 077 && $(PYTHON) -c "import secrets; print('DEBUG=true'); print('SECRET_KEY=' + secrets.token_urlsafe(50))" > $@.tmp && mv $@.tmp $@
	@echo "wrote .env (DEBUG=true, a new SECRET_KEY)"

install: $(STAMP) .env

## The whole app: web (ASGI), Celery worker and beat, plus an embedded PostgreSQL and Valkey
## when DATABASE_URL / REDIS_URL are unset. Ctrl-C stops everything.
run: install
	$(BIN)/python -m leadroute.devserver

## Every test: unit, PostgreSQL concurrency, real Celery worker, Playwright browser tests.
test: install
	@chromium="$$($(BIN)/python -m tests.browser.chromium)" && \
	CHROMIUM="$$chromium" $(WITH_TEST_SERVICES) $(BIN)/python -m pytest $(PYTEST_ARGS)

## A management command with the same setup as `make run`: make manage ARGS="createsuperuser"
manage: install
	$(WITH_SERVICES) $(BIN)/python manage.py $(ARGS)

## Every benchmark, small, and one table of figures against goals: make bench
## One benchmark at full size, with the same services: make bench ARGS="bench/route.py --leads 500"
bench: install
	$(WITH_SERVICES) $(BIN)/python $(if $(ARGS),$(ARGS),bench/all.py)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate:
	$(MAKE) manage ARGS="migrate"

seed:
	$(MAKE) manage ARGS="seed_demo"

clean:
	rm -rf $(VENV) .run staticfiles
