# Kairan: two commands on a fresh machine with Python >= 3.11 and make.
#   make demo   the whole portal (web, Celery worker and beat) on embedded defaults
#   make test   the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed

.PHONY: demo test lint format lock bench bench-sink clean

$(STAMP): $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kairan needs Python >= 3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	touch $(STAMP)

demo: $(STAMP)
	KAIRAN_DEMO=1 $(PY) manage.py rundemo --port $(PORT)

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
