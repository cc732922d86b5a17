# ftcheck — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint types unit bench install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## The main job: Slack if SLACK_BOT_TOKEN is set, else the same walk-through in the terminal.
## Options go in ARGS: make run ARGS='--project "Ticket router" --brief brief.md'
run: $(STAMP)
	$(BIN)/ftcheck run $(ARGS)

## Lint, types and the whole test suite (real redis-server, Slack and OpenAI stand-ins).
test: lint types unit

lint: $(STAMP)
	$(BIN)/ruff check bot conversations scoring tests tools

types: $(STAMP)
	$(BIN)/mypy

## Three workers, each test file on one of them (a file's tests share their stand-ins and order). Most of the run
## waits on Redis, Slack stand-ins and timers, not the CPU, so on the 2-core CI machine a third worker still
## shortens it: 2,245 tests took 6.6 minutes with three, 9.8 with two (a clean clone, 2026-12-05).
unit: $(STAMP)
	$(BIN)/pytest -n 3 --dist loadfile

## Benchmarks (not part of `make test`): prints a table.
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
