# Two entry points for a fresh machine with Python 3.11+:
#   make run    create .venv with the app's dependencies and open the app
#   make test   create .venv with the test tools too, lint, type-check, and run every test
#   make cluster REPLICAS=3 PORT=8500   replicas behind haproxy on this machine (deploy/cluster.py)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
REPLICAS ?= 3

.PHONY: run test lint bench cli cluster clean checker

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m streamlit run app.py --server.address localhost --server.port $(PORT)

cluster: $(VENV)/.runtime
	$(PY) deploy/cluster.py --replicas $(REPLICAS) --port $(PORT)

cli: $(VENV)/.runtime
	$(PY) -m seqviz run --sequence "0 1 0 2" --mode all

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: lint
	$(PY) -m pytest

# The fact checker's long profile: fresh random configurations (CHECKER_EXAMPLES of them), every
# fact each run states re-derived by tests/checker.py. `make test` runs a fixed-seed 500.
CHECKER_EXAMPLES ?= 20000
checker: $(VENV)/.dev
	SEQVIZ_CHECKER_FRESH=1 SEQVIZ_CHECKER_EXAMPLES=$(CHECKER_EXAMPLES) $(PY) -m pytest -p no:cacheprovider tests/test_facts_checked.py -k rederived

bench: $(VENV)/.dev
	$(PY) benchmarks/bench_fit.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
