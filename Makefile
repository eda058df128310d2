# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
# Each creates .venv when it is missing and reinstalls only when a requirements file changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# make serve: Streamlit replicas behind nginx, one per core unless REPLICAS=n.
REPLICAS ?= $(shell nproc 2>/dev/null || echo 1)

.PHONY: run serve test test-fast lint typecheck bench clean

# Python writes its compiled modules (__pycache__, git-ignored) even where the environment says
# not to: every test worker, fresh server and training process otherwise compiles the app and
# rewrites the tests' asserts anew (collection: 10.1 s without them, 5.7 s with).
unexport PYTHONDONTWRITEBYTECODE

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt requirements-oracle.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/python -m streamlit run app.py --server.port $(PORT)

serve: $(VENV)/.installed-run
	$(BIN)/python deploy/serve.py --replicas $(REPLICAS) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/python -m ruff check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/python -m mypy normlib normapp

# Every test, two at a time (pytest-xdist; one worker per core of a 2-core CI machine).
# --dist loadfile keeps a module's tests, and the servers its fixtures start, on one worker.
test: lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The tests that need no browser, server or PostgreSQL and are not slow (see pyproject.toml).
# --dist worksteal: an idle worker takes tests from the other's queue. Under xdist's default
# (load) the page tests, which sort together, went to one worker in big chunks: 104 s of
# tests on one worker against 54 s on the other (88.6 s with worksteal, same tests).
FAST := not browser and not server and not postgres and not slow
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 --dist worksteal -m "$(FAST)"

bench: $(VENV)/.installed-dev
	status=0; $(BIN)/python benchmarks/bench_normalize.py || status=1; \
	$(BIN)/python benchmarks/bench_app.py || status=1; \
	$(BIN)/python benchmarks/bench_explorer_caps.py || status=1; \
	$(BIN)/python benchmarks/bench_class.py || status=1; \
	$(BIN)/python benchmarks/bench_class_quiz.py || status=1; \
	$(BIN)/python benchmarks/bench_lab.py || status=1; \
	$(BIN)/python benchmarks/bench_browser.py || status=1; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts test-results .serve
