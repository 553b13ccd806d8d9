# Schoolchat. `make serve` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Two workers suit the 2-core machines CI runs on; override with PYTEST_WORKERS=auto.
PYTEST_WORKERS ?= 2

.PHONY: serve test lint install install-dev migrate vapid demo web worker beat bench bench-quick bench-archive bench-roster bench-oneroster messages migrations-check restore-drill ci clean

# The web server and one Celery worker with beat (schoolchat/devserver.py); Ctrl-C stops both.
serve: install migrate demo  ## set up and serve the demo school on http://127.0.0.1:8000
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) -m schoolchat.devserver -b $(HOST) -p $(PORT) schoolchat.asgi:application

test: install-dev  ## set up and run the whole test suite
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install-dev  ## ruff, mypy, and the import contracts of pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install vapid
	$(PY) manage.py migrate --noinput -v 0

vapid: install  ## the push notification key pair, created once (never replaced)
	$(PY) manage.py vapid_keys

demo: install
	$(PY) manage.py seed_demo --url http://$(HOST):$(PORT)

# The commands docker-compose.yml runs, for production-like use outside Docker.
# WEB_ARGS: extra daphne options (compose sets none). Behind a proxy, list it in
# SCHOOLCHAT_TRUSTED_PROXIES rather than passing --proxy-headers (docs/operations.md).
web: install
	$(PY) -m schoolchat.server -b 0.0.0.0 -p $(PORT) $(WEB_ARGS) schoolchat.asgi:application
worker: install
	$(BIN)/celery -A schoolchat worker -Q celery,push --loglevel INFO --concurrency 2
beat: install
	$(BIN)/celery -A schoolchat beat --loglevel INFO --schedule var/celerybeat-schedule

messages: install  ## refresh and compile the apps' nl and ru catalogues (needs GNU gettext)
	$(PY) manage.py messages

# Back up, restore into a scratch database and media folder, verify, drop: PASS or FAIL (a
# fresh backup to a key made for the drill; FILE=… IDENTITY=… drills a real backup instead).
restore-drill: install  ## prove the backups restore (docs/operations.md)
	$(PY) manage.py restore_drill $(if $(FILE),$(FILE) --identity $(IDENTITY))

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

bench: install-dev
	$(PY) bench/run.py

# The guard on the send path (under 3 minutes): fan-out at N=200 and the persisted rate, each in
# turns with its reference, ending with their name=value ratios (docs/performance.md).
bench-quick: install-dev
	BENCH_QUICK=1 BENCH_PHASES=fanout,persist $(PY) bench/run.py

# The archive's heavy jobs on PostgreSQL (ARCHIVE_BENCH_N=100000 for a quicker run).
bench-archive: install-dev
	$(PY) bench/archive.py

bench-roster: install-dev  ## a 1,500-pupil roster import, timed (PostgreSQL)
	$(PY) bench/roster.py

bench-oneroster: install-dev  ## the same school as a OneRoster 1.2 bulk zip, timed (PostgreSQL)
	$(PY) bench/oneroster.py

clean:
	rm -rf $(VENV) var
