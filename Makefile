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
# Python keeps the bytecode it compiles (__pycache__, git-ignored). Some machines (CI's included) set this variable,
# and then every process compiled every module it imported from source again: ~10 s of CPU for each test worker's
# collection, the app, its builds and every subprocess a test starts.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help setup run test test-fast lint format bench reset browser clean synth deploy export lambda-deps

help:
	@echo "make run     - install what is missing, start the local AWS + app (UI :3000, API :8000/api)"
	@echo "make test    - the whole test suite, browser tests included"
	@echo "make lint    - ruff + mypy"
	@echo "make bench   - the figures: API cost vs raw DynamoDB, load test, Reflex sessions, attachments, live, UI"
	@echo "make reset   - delete the local data (.local/)"
	@echo "make synth   - CDK synth offline (deploy/cdk.out) + cdk-nag AwsSolutions + cfn-lint; fails on any finding"
	@echo "               (PROFILE=small|large, default small: deploy/README.md)"
	@echo "make export  - static export of the UI (REFLEX_API_URL=https://... make export)"
	@echo "make deploy  - synth + cdk deploy + export + upload + CloudFront invalidation (needs AWS credentials)"

# --- installation (each step only when missing or out of date) ------------------------------
.tools/uv.stamp:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@mkdir -p $(TOOLS) && touch $@

.venv/.synced: .tools/uv.stamp pyproject.toml uv.lock
	$(UV) sync --locked --quiet
	@touch $@

$(BUN):
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent bun

# axe-core for the browser tests' accessibility checks (tests/e2e/accessibility.py reads axe.min.js), pinned.
AXE_VERSION := 4.14.1
AXE := $(TOOLS)/axe-core-$(AXE_VERSION).stamp
$(AXE):
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent --save-exact axe-core@$(AXE_VERSION)
	@touch $@

setup: .venv/.synced $(BUN)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium from Debian for the browser tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

# --- everyday commands ----------------------------------------------------------------------
run: setup
	$(UV) run --no-sync python -m backend.local run

# One worker per CPU; tests that share a module's emulator (or the e2e app / the CDK synth) stay on one worker.
test: setup browser $(AXE)
	$(UV) run --no-sync pytest -n auto

test-fast: setup
	$(UV) run --no-sync pytest -m "not e2e"

lint: setup
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync mypy backend taskmanager_pro tests scripts deploy

format: setup
	$(UV) run --no-sync ruff check --fix .
	$(UV) run --no-sync ruff format .

# Every part in its own process, figures only (metrics and INFO logs off), all of them in .local/bench/bench.json.
bench: setup browser
	$(UV) run --no-sync python -m scripts.bench_all

reset: setup
	$(UV) run --no-sync python -m backend.local reset

clean:
	rm -rf .web .states .pytest_cache .mypy_cache .ruff_cache deploy/cdk.out

# --- AWS (deploy/, see deploy/README.md) ----------------------------------------------------
STAGE ?= dev
# small (the default of a new stage) or large: deploy/README.md, "Profiles". Empty: the app's default.
PROFILE ?=
LAMBDA_DEPS := $(TOOLS)/lambda-deps
CDK := $(TOOLS)/node_modules/.bin/cdk

# The Lambda layer's third-party packages: manylinux aarch64 wheels for CPython 3.12, no Docker.
$(LAMBDA_DEPS)/.built: .venv/.synced pyproject.toml deploy/lambda_deps.py
	UV="$(UV)" $(UV) run --no-sync python -m deploy.lambda_deps $(LAMBDA_DEPS)
	@touch $@

lambda-deps: $(LAMBDA_DEPS)/.built

# Offline: the Python CDK app synthesizes itself (cdk-nag findings make it fail), then cfn-lint checks the templates.
synth: setup lambda-deps
	CDK_CONTEXT_JSON='{"stage":"$(STAGE)","profile":"$(PROFILE)","lambda_deps_dir":"$(CURDIR)/$(LAMBDA_DEPS)"}' \
	  $(UV) run --no-sync python -m deploy.app
	$(UV) run --no-sync cfn-lint --config-file deploy/cfnlintrc.yaml

$(CDK):
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent aws-cdk@2

# The static UI, pointed at the API of the target (the site's CloudFront URL: /api/* goes to API Gateway); each page
# then gets a script policy with the hashes of its own inline scripts (deploy/csp.py).
export: setup
	@test -n "$$REFLEX_API_URL" || { echo "set REFLEX_API_URL (e.g. https://dxxxx.cloudfront.net)"; exit 1; }
	REFLEX_API_URL=$$REFLEX_API_URL $(UV) run --no-sync reflex export --frontend-only --no-zip
	$(UV) run --no-sync python -m deploy.csp .web/build/client

# Needs AWS credentials + region in the environment and a bootstrapped account (npx aws-cdk bootstrap). Untested here.
deploy: synth $(CDK)
	$(CDK) deploy --all --app deploy/cdk.out --require-approval never --outputs-file deploy/outputs.json
	@SITE_URL=$$($(UV) run --no-sync python -c "import json; o=json.load(open('deploy/outputs.json')); print(next(v['SiteUrl'] for v in o.values() if 'SiteUrl' in v))"); \
	BUCKET=$$($(UV) run --no-sync python -c "import json; o=json.load(open('deploy/outputs.json')); print(next(v['SiteBucketName'] for v in o.values() if 'SiteBucketName' in v))"); \
	DIST=$$($(UV) run --no-sync python -c "import json; o=json.load(open('deploy/outputs.json')); print(next(v['DistributionId'] for v in o.values() if 'DistributionId' in v))"); \
	REFLEX_API_URL=$$SITE_URL $(MAKE) export && \
	$(UV) run --no-sync python -m deploy.upload .web/build/client "$$BUCKET" && \
	$(UV) run --no-sync python -c "import boto3,time; print(boto3.client('cloudfront').create_invalidation(DistributionId='$$DIST', InvalidationBatch={'Paths': {'Quantity': 1, 'Items': ['/*']}, 'CallerReference': str(time.time())})['Invalidation']['Id'])" && \
	cat deploy/outputs.json
