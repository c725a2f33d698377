# TaskManager Pro — every command a developer or CI needs. Needs only Python 3.11 and node on the machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(PYTHON) -m uv
TOOLS := .tools
BUN := $(TOOLS)/node_modules/.bin/bun

export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(PATH)
export PYTHONPATH := $(CURDIR)
# Reflex offline: bun from npm instead of Reflex's own downloader, no telemetry, no version check.
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := 0
export UV_LINK_MODE := copy

.PHONY: help setup run test test-fast lint format bench reset browser clean

help:
	@echo "make run     - install what is missing, start the local AWS + app (UI :3000, API :8000/api)"
	@echo "make test    - the whole test suite, browser tests included"
	@echo "make lint    - ruff + mypy"
	@echo "make bench   - latency figures (GET /api/me vs raw DynamoDB get_item)"
	@echo "make reset   - delete the local data (.local/)"

# --- installation (each step only when missing or out of date) ------------------------------
.tools/uv.stamp:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@mkdir -p $(TOOLS) && touch $@

.venv/.synced: .tools/uv.stamp pyproject.toml uv.lock
	$(UV) sync --locked --quiet
	@touch $@

$(BUN):
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent bun

setup: .venv/.synced $(BUN)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium from Debian for the browser tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

# --- everyday commands ----------------------------------------------------------------------
run: setup
	$(UV) run --no-sync python -m backend.local run

test: setup browser
	$(UV) run --no-sync pytest

test-fast: setup
	$(UV) run --no-sync pytest -m "not e2e"

lint: setup
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync mypy backend taskmanager_pro tests scripts

format: setup
	$(UV) run --no-sync ruff check --fix .
	$(UV) run --no-sync ruff format .

bench: setup
	$(UV) run --no-sync python -m scripts.bench

reset: setup
	$(UV) run --no-sync python -m backend.local reset

clean:
	rm -rf .web .states .pytest_cache .mypy_cache .ruff_cache
