# Two commands for a new user: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench install install-test translations extract-messages lint format db seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

# The compiled catalogues (.mo) are built here, never committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d translations

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs=".* ._ tests bench" \
		--no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel -q update -N --ignore-obsolete -i translations/messages.pot -d translations

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed-demo --if-empty

# The demo pays by card in test mode against localstripe (a fake Stripe on 127.0.0.1),
# stopped when flask stops.
STRIPE_PORT ?= 8420
STRIPE_DEMO := http://127.0.0.1:$(STRIPE_PORT)
run: seed
	@$(BIN)/python scripts/localstripe_server.py --port $(STRIPE_PORT) \
		--webhook-url http://$(HOST):$(PORT)/pay/stripe/webhook --webhook-secret whsec_linli_demo & \
	stripe_pid=$$!; trap 'kill $$stripe_pid 2>/dev/null' EXIT INT TERM; \
	STRIPE_SECRET_KEY=sk_test_linli_demo STRIPE_PUBLISHABLE_KEY=pk_test_linli_demo \
	STRIPE_WEBHOOK_SECRET=whsec_linli_demo STRIPE_API_BASE=$(STRIPE_DEMO) \
	STRIPE_JS_URL=$(STRIPE_DEMO)/js.stripe.com/v3/ STRIPE_TEST_MODE=1 JOBS_IN_PROCESS=1 \
	$(FLASK) run --host $(HOST) --port $(PORT)

# One test process per CPU (each has its own databases, servers and browser).
test: install-test
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
