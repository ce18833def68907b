# tipgraph: `make run` (API with demo data on the local Neo4j) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
NEO4J_PORT ?= 7687
API_PORT ?= 8000
BENCH_REPORTS ?= 100000
# The dev targets talk to the Neo4j that `neo4j-start` runs, unless you point
# TIPGRAPH_NEO4J_URI somewhere else yourself. `make test` is not given it: the suite starts and
# stops a server of its own unless you set TIPGRAPH_NEO4J_URI explicitly.
DEV_ENV = TIPGRAPH_NEO4J_URI=$${TIPGRAPH_NEO4J_URI:-bolt://localhost:$(NEO4J_PORT)}

.PHONY: install run test lint typecheck web neo4j-start neo4j-stop neo4j-status migrate seed serve chromium poppler \
        bench bench-quick bench-pdq bench-matching bench-backup clean

install: $(VENV)/.installed node_modules/.installed chromium poppler
	@$(BIN)/tipgraph neo4j install >/dev/null

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Node tools (the @neo4j/graphql peer for the benchmarks), pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium, for the explorer page's browser test (playwright-core drives it; nothing
# downloads a browser of its own). Without it that one test is skipped, and says so.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq chromium >/dev/null) || \
	  echo "warning: chromium could not be installed; the explorer's browser test will skip"

# Debian's poppler-utils (pdftotext, pdftoppm): the referral-package tests read the PDF the way
# an investigator's tools do. Without them those checks are skipped, and say so.
poppler:
	@test -x /usr/bin/pdftotext -a -x /usr/bin/pdftoppm || (apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null) || \
	  echo "warning: poppler-utils could not be installed; the PDF rendering checks will skip"

neo4j-start: install
	@$(BIN)/tipgraph neo4j start --port $(NEO4J_PORT) >/dev/null

neo4j-stop:
	@$(BIN)/tipgraph neo4j stop --port $(NEO4J_PORT)

neo4j-status:
	@$(BIN)/tipgraph neo4j status --port $(NEO4J_PORT)

# Each step prints its time on stderr (the demo's reports with a progress bar); the JSON
# results on stdout are for scripts, so `make` leaves them out.
migrate: neo4j-start
	@$(DEV_ENV) $(BIN)/tipgraph migrate >/dev/null

seed: migrate
	@$(DEV_ENV) $(BIN)/tipgraph seed demo >/dev/null

run: seed
	@echo
	@echo "  GraphQL:  http://127.0.0.1:$(API_PORT)/graphql  (GraphiQL in development)"
	@echo "  Register an ESP:  $(BIN)/tipgraph esp create --id my-esp --name 'My ESP'"
	@echo "  Mint a token:     $(BIN)/tipgraph token mint --role esp --esp-id my-esp"
	@echo "                    (demo ESPs: example-chat, example-photos, example-games, example-video)"
	@echo "  Stop Neo4j after: make neo4j-stop"
	@echo
	@$(DEV_ENV) $(BIN)/tipgraph serve --port $(API_PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy
	$(BIN)/lint-imports
	npm run --silent typecheck:web

# The workspace: regenerate the report view's query from the schema, type-check, bundle
# (api/static/workspace/workspace.js is committed: an installed tipgraph serves it without Node).
web: install
	$(BIN)/python -m resolvers.selection > web/src/generated.ts
	npm run --silent typecheck:web
	npm run --silent build:web

# Benchmarks print JSON lines; the last is one object with every figure, ratio and target.
bench-quick: install
	$(BIN)/python -m bench.run --quick

bench: install
	$(BIN)/python -m bench.run --reports $(BENCH_REPORTS)

bench-pdq: install
	$(BIN)/python -m bench.pdq --hashes 1000000 --queries 10000

# Matching: ingest with matching on over off (one run), and re-matching after importing a list
# of 100,000 hashes against a graph of BENCH_REPORTS reports.
bench-matching: install
	$(BIN)/python -m bench.matching --scenario ingest --reports 250 --phases 40
	$(BIN)/python -m bench.matching --scenario rematch --reports $(BENCH_REPORTS) --entries 100000

# Backup and restore at BENCH_REPORTS reports: times, the write pause, against the raw floor
# of reading every node and relationship.
bench-backup: install
	$(BIN)/python -m bench.backup --reports $(BENCH_REPORTS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
