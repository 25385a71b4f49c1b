# Two entry points for a fresh machine: `make run` and `make test`. Both create .venv/ when missing and install the
# pinned dependency set (constraints.txt) plus this project in editable mode.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,compare,dask

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install run test lint format bench clean

$(STAMP): pyproject.toml constraints.txt setup.py $(wildcard transforms/*.c)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/newsetl run

# Most of the suite's time is `newsetl run` child processes and Prefect flow runs, one core each: one pytest worker
# per core (at most four, each with its own Prefect test API), a test module's tests kept on one worker so that
# its module fixtures (the crash scenario's reference runs) are built once.
# (nproc: the CPUs this process may use; xdist's own "auto" counts physical cores, one on a 2-vCPU machine.)
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -gt 4 ] && n=4; echo $$n)
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadscope

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf warehouse/news.duckdb warehouse/news.duckdb.wal warehouse/parquet warehouse/dq
