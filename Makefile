# The two commands: `make demo` and `make test`. Both create .venv and install the pinned set.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat constraints.txt pyproject.toml | cksum | cut -d' ' -f1)
# The reference clients the tests read our feeds with (ical.js, jsonld.js), at the locked versions.
JS := tests/js
JS_STAMP := $(JS)/node_modules/.package-lock.json

.PHONY: install demo test lint lock openapi chromium reference-clients bench bench-quick

$(STAMP): constraints.txt pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || (echo "Python 3.11+ is needed" && exit 1)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/hub demo

# The browser tests drive the system's Chromium; every machine starts without it.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Chromium (Debian packages chromium, chromium-driver)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

$(JS_STAMP): $(JS)/package.json $(JS)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Node.js 18+ and npm are needed by the tests"; exit 1; }
	cd $(JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_STAMP)

reference-clients: $(JS_STAMP)

test: install chromium reference-clients
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 --dist loadgroup

# The benchmarks (bench/RESULTS.md): the whole set, or a small network in about two minutes.
bench: install
	$(BIN)/python -m bench

bench-quick: install
	$(BIN)/python -m bench --quick

openapi: install
	$(BIN)/hub openapi --role node --out openapi/node.json
	$(BIN)/hub openapi --role hub --out openapi/hub.json

# Regenerate the pins from a fresh resolution (developers only).
lock:
	rm -rf /tmp/hub-lock && $(PYTHON) -m venv /tmp/hub-lock
	/tmp/hub-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/hub-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
