# Two commands do everything: `make run` (portal with demo data) and `make test` (whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT
export FLASK_APP := wsgi.py

.PHONY: run test lint bench bench-scale system-packages clean

run: $(VENV)/.installed-run
	scripts/system-packages.sh runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@echo ""
	@echo "AP QA Portal is starting on http://127.0.0.1:$(PORT), with its email worker  (Ctrl+C stops both)"
	@echo ""
	BIN=$(BIN) scripts/run-portal.sh

test: $(VENV)/.installed-dev system-packages lint
	scripts/run-tests.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py

bench-scale: $(VENV)/.installed-dev
	$(BIN)/python bench/scale.py

system-packages:
	scripts/system-packages.sh

$(VENV)/.installed-run: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.installed-run $@

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
