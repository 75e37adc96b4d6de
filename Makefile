# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# The local Stripe stand-in (checkout/testing/stripe_standin) that the demo talks to, and the
# app's webhook path it posts each office's events to ({office} is the office code).
STANDIN_PORT      ?= 12111
DEMO_WEBHOOK_PATH ?= /webhooks/stripe/{office}
# How long a demo bank debit (SEPA, Bacs, ...) takes to settle, in seconds.
DEMO_DEBIT_SECONDS ?= 30
# localstripe lives in its own virtualenv: the contract tests start it, never import it.
LOCALSTRIPE := $(VENV)/localstripe/bin/localstripe
# locust drives bench/load_test.py from its own virtualenv (it brings gevent, which must not
# reach the app's or the tests' processes).
LOCUST := $(VENV)/locust/bin/locust
STAMP  := $(VENV)/.installed
PO     := $(wildcard checkout/translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: demo demo-env test lint types pytest install localstripe locust system-packages translations extract-messages clean

# The demo's generous card-testing limits (config/demo.py), and links in its emails that lead
# back to the port it runs on. `eval "$$(make -s demo-env)"` gives a shell the same settings.
DEMO_CONFIG := config/demo.py
DEMO_PUBLIC_BASE_URL = http://127.0.0.1:$(PORT)
demo: export CHECKOUT_CONFIG = $(DEMO_CONFIG)
demo: export CHECKOUT_PUBLIC_BASE_URL = $(DEMO_PUBLIC_BASE_URL)
demo: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi staff demo
	eval "$$($(BIN)/python -m checkout.testing.stripe_standin --print-demo-env)"; \
	export CHECKOUT_STRIPE_API_BASE=http://127.0.0.1:$(STANDIN_PORT); \
	export CHECKOUT_STRIPE_JS_URL=http://127.0.0.1:$(STANDIN_PORT)/v3/; \
	$(BIN)/python -m checkout.testing.stripe_standin --port $(STANDIN_PORT) \
	  --debit-settle-seconds $(DEMO_DEBIT_SECONDS) \
	  --demo-webhooks 'http://127.0.0.1:$(PORT)$(DEMO_WEBHOOK_PATH)' & standin=$$!; \
	$(BIN)/flask --app wsgi worker --poll 1 & worker=$$!; \
	trap 'kill $$standin $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Receipts are written to instance/mail/ as .eml files."; \
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

demo-env:
	@echo "export CHECKOUT_CONFIG=$(DEMO_CONFIG) CHECKOUT_PUBLIC_BASE_URL=$(DEMO_PUBLIC_BASE_URL)"

test: install localstripe system-packages lint types pytest

# Debian's chromium and qpdf for the browser and PDF tests: installed when root or sudo can,
# otherwise a loud list of the tests that will be skipped (tests/system_packages.sh).
system-packages:
	@bash tests/system_packages.sh

localstripe: $(LOCALSTRIPE)

locust: $(LOCUST)

$(LOCUST):
	$(PYTHON) -m venv $(VENV)/locust
	$(VENV)/locust/bin/python -m pip install --quiet locust==2.47.0

$(LOCALSTRIPE):
	$(PYTHON) -m venv $(VENV)/localstripe
	$(VENV)/localstripe/bin/python -m pip install --quiet localstripe==1.15.10

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP) $(MO)

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "Python 3.11 or newer is needed (set PYTHON=python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[production,test,dev]'
	touch $@

# Compiled catalogues are build output (ignored by git), rebuilt when a .po file changes.
checkout/translations/%/LC_MESSAGES/messages.mo: checkout/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(MO)

# For developers: refresh the catalogues after changing strings in templates or code.
extract-messages: install
	$(BIN)/pybabel extract -F checkout/translations/babel.cfg -k lazy_gettext -k _l \
	  -o checkout/translations/messages.pot --no-location --omit-header --sort-output .
	$(BIN)/pybabel update -i checkout/translations/messages.pot -d checkout/translations \
	  --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache .hypothesis
