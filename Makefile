# Two entry points for a fresh machine with Python 3.11+:
#   make run    create .venv with the app's dependencies and open the app
#   make test   create .venv with the test tools too, lint, type-check, and run every test (the full tier)
#   make check  lint, type-check and the fast tier (every module, every cell, layout and output) in ~90 s
#   make cluster REPLICAS=3 PORT=8500   replicas behind haproxy on this machine (deploy/cluster.py)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
REPLICAS ?= 3
# pytest-xdist workers for the tests; `make test JOBS=0` runs them in one process.
JOBS ?= auto

.PHONY: run test check lint bench cli cluster clean checker

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

# The fast tier: every test not marked slow (tests/README.md), the guard for every change;
# mypy type-checks beside it (most of a cold mypy run is its own cache, not the tests' cores).
check: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	@$(PY) -m mypy & types=$$!; \
	$(PY) -m pytest -m "not slow" -n $(JOBS) --dist worksteal; tests=$$?; \
	wait $$types; typed=$$?; \
	exit $$(( tests != 0 || typed != 0 ))

# The full tier: the container tests (an image build, mostly waiting on pip and disk) run as their
# own pytest beside the rest, which xdist spreads over the cores; then the browser tests, alone:
# they time what a person waits for (a server, Chromium), which other work on 2 cores would skew.
test: lint
	@logs=$$(mktemp -d); \
	$(PY) -m pytest -m container >$$logs/container 2>&1 & container=$$!; \
	$(PY) -m pytest -m "not browser and not container" -n $(JOBS) --dist worksteal --durations=10; rest=$$?; \
	wait $$container; built=$$?; \
	echo "--- pytest -m container, run beside the rest:"; cat $$logs/container; rm -rf $$logs; \
	$(PY) -m pytest -m "browser and not container" --durations=10; shown=$$?; \
	exit $$(( rest != 0 || shown != 0 || built != 0 ))

# The fact checker's long profile: fresh random configurations (CHECKER_EXAMPLES of them), every
# fact each run states re-derived by tests/checker.py. `make test` runs a fixed-seed 500.
CHECKER_EXAMPLES ?= 20000
checker: $(VENV)/.dev
	SEQVIZ_CHECKER_FRESH=1 SEQVIZ_CHECKER_EXAMPLES=$(CHECKER_EXAMPLES) $(PY) -m pytest -p no:cacheprovider tests/test_facts_checked.py -k rederived

bench: $(VENV)/.dev
	$(PY) benchmarks/bench_fit.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
