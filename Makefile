# Two commands for a new user: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench install install-demo install-test lock translations extract-messages lint \
	format db seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

# The demo's fake Stripe server (localstripe): `make run` only, never production.
$(VENV)/.installed-demo: requirements-demo.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-demo.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

install: $(VENV)/.installed translations
install-demo: $(VENV)/.installed-demo translations
install-test: $(VENV)/.installed-test translations

# The .txt files are locks (every package, indirect ones too, at one version), made
# from the .in files by pip-tools; edit a .in file, then run `make lock` and commit both.
PIP_COMPILE := $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(BIN)/python
	$(BIN)/pip install -q pip-tools==7.6.2
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-demo.txt requirements-demo.in
	$(PIP_COMPILE) -o requirements-test.txt requirements-test.in

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
run: seed install-demo
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
