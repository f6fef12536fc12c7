# Kairan: two commands on a fresh machine with Python >= 3.11 and make.
#   make demo   the whole portal (web, Celery worker and beat) on embedded defaults
#   make test   the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The demo needs only what production runs (requirements/base.lock); tests and the linters
# need the development lock on top (requirements/dev.lock: pytest, Playwright, ruff, ...).
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed
say = @printf '[make] %s\n' $(1)

.PHONY: demo demo-logins test lint format lock bench bench-sink clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kairan needs Python >= 3.11")'
	$(call say,"creating the virtual environment .venv/ with $(PYTHON) …")
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements/base.lock | $(VENV)/bin/python
	$(call say,"installing the runtime dependencies (requirements/base.lock, hashes checked; a minute the first time) …")
	@$(PY) -m pip install --quiet --require-hashes -r requirements/base.lock
	@touch $(RUNTIME_STAMP)

$(STAMP): requirements/dev.lock | $(VENV)/bin/python
	$(call say,"installing the development dependencies (requirements/dev.lock, hashes checked) …")
	@$(PY) -m pip install --quiet --require-hashes -r requirements/dev.lock
	@touch $(STAMP) $(RUNTIME_STAMP)

demo: $(RUNTIME_STAMP)
	$(call say,"starting the demo on http://127.0.0.1:$(PORT)/ (migrate, demo data, static files, then web, worker and beat) …")
	KAIRAN_DEMO=1 $(PY) manage.py rundemo --port $(PORT)

# The demo's logins again (while `make demo` runs in another terminal).
demo-logins: $(RUNTIME_STAMP)
	@KAIRAN_DEMO=1 $(PY) manage.py demo_logins

test: $(STAMP)
	KAIRAN_TESTING=1 $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerate the locks after changing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements/base.lock
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o requirements/dev.lock

bench: $(STAMP)
	KAIRAN_TESTING=1 $(PY) -m bench

# Postfix's smtp-sink for the fan-out benchmark (bench/postfix_sink.py), unpacked from Debian's
# postfix package into var/postfix without installing or starting an MTA.
bench-sink:
	mkdir -p var/postfix
	cd var/postfix && { apt-get download postfix || { apt-get update -qq && apt-get download postfix; }; } \
		&& dpkg -x postfix_*.deb . && rm postfix_*.deb
	test -x var/postfix/usr/sbin/smtp-sink

clean:
	rm -rf $(VENV) var/broker var/cache
