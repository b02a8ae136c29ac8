# Every contributor task is a target here. Each one bootstraps .venv itself, so
# `make test` and `make demo` work on a fresh clone with nothing but Python 3.11+.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
UV := $(BIN)/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
# The generator's post-hooks call ruff by name: make it the pinned one.
export PATH := $(BIN):$(PATH)

SPEC_ROOT := openapi
SPEC := $(SPEC_ROOT)/kling-image-expansion.yaml
# The spec tooling (kling_spec_tools), run on this checkout's spec folder.
KLING_SPEC = $(PY) -m kling_spec_tools --root $(SPEC_ROOT)
GENERATOR_CONFIG := openapi/generator.yaml
GENERATED := generated_client/kling_expand_api
GENERATE = $(BIN)/openapi-python-client generate --path $(SPEC) --config $(GENERATOR_CONFIG) \
	--meta none --overwrite --output-path

.PHONY: setup lock test lint typecheck pytest spec generate check-generated update-spec mock demo bench footprint contract-live downstream clean

setup: $(STAMP) ## create .venv with the pinned dependencies

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip sync --quiet --python $(PY) requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps --editable .
	@touch $@

# Re-pinning is asked for, never implied: a target that depended on pyproject.toml's
# mtime would re-resolve against the registry whenever a checkout happened to leave
# pyproject.toml newer than the lock, and change the pins under a plain `make test`.
lock: ## re-pin requirements.lock after changing dependencies in pyproject.toml
	@test -x $(UV) || ( $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet uv==$(UV_VERSION) )
	$(UV) pip compile --quiet --no-header --python-version 3.11 --extra dev -o requirements.lock pyproject.toml

test: $(STAMP) lint typecheck check-generated pytest ## everything CI runs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Two pytest-xdist workers by default (CI has two cores); PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= 2
pytest: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

spec: $(STAMP) ## upstream spec + overlay -> resolved YAML and JSON
	$(KLING_SPEC) resolve

# Refuses to generate from a resolved spec that upstream + overlay no longer produce.
generate: $(STAMP) ## resolved spec -> generated_client/
	@$(KLING_SPEC) resolve --check || { echo "make generate: the resolved spec is stale or broken: run 'make spec' first"; exit 1; }
	$(GENERATE) $(GENERATED)

# Regenerate into a scratch folder and compare: the committed client must be exactly
# what the committed spec and config produce, and the resolved spec exactly what
# upstream + overlay produce.
check-generated: $(STAMP)
	$(KLING_SPEC) resolve --check
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	$(GENERATE) "$$scratch/kling_expand_api" >/dev/null && \
	diff -r -x __pycache__ "$$scratch/kling_expand_api" $(GENERATED) \
	  || { echo "generated_client/ is stale or edited by hand: run 'make generate'"; exit 1; }

# The client-facing contract against the real service. Opt-in: it needs COMETAPI_KEY,
# sends a handful of small requests and may cost a little money.
contract-live: $(STAMP) ## client contract against the real service (needs COMETAPI_KEY; may cost money)
	@if [ -z "$$COMETAPI_KEY" ]; then \
	  echo "contract-live: COMETAPI_KEY is not set, so nothing was sent. Set it (and optionally"; \
	  echo "KLING_BASE_URL) to run the client contract against the real service."; \
	else \
	  echo "WARNING: contract-live sends real requests to $${KLING_BASE_URL:-https://api.cometapi.com}"; \
	  echo "with your COMETAPI_KEY. Most are refused for free; COMETAPI_LIVE_PAID=1 adds one paid"; \
	  echo "expansion (n=1, the smallest image and ratios). Ctrl-C within 5 s to stop."; \
	  sleep 5; \
	fi
	$(PY) -m pytest -m live contract_tests/live tests/sdk/test_live.py -rs $(PYTEST_ARGS)

# Exits 1 without vendoring when the new copy has breaking changes: ACCEPT=1 takes it
# anyway, JSON=1 prints the diff as JSON (for CI and other tools).
update-spec: $(STAMP) ## take a new upstream page or spec: make update-spec SRC=<file or URL> [ACCEPT=1] [JSON=1]
	@test -n "$(SRC)" || { echo "usage: make update-spec SRC=<file or URL> [ACCEPT=1] [JSON=1]"; exit 2; }
	$(KLING_SPEC) update "$(SRC)" $(if $(filter 1,$(ACCEPT)),--accept-breaking) $(if $(filter 1,$(JSON)),--json)

mock: $(STAMP) ## serve the offline mock on http://127.0.0.1:4010
	$(BIN)/kling-mock serve --host 127.0.0.1 --port 4010

# Starts the mock on a free loopback port, runs `kling-expand run` on the shipped
# sample photo through it, and prints the expanded image and the before/after sheet.
demo: $(STAMP) ## expand the sample photo against the embedded mock server
	$(BIN)/kling-expand demo --out out/demo

# Benchmarks (not part of `make test`): Prism pinned by bench/prism/package-lock.json
# into an ignored folder, wrk from Debian's packages when it is missing.
# Options go through BENCH_ARGS, e.g. `make bench BENCH_ARGS=--quick`.
BENCH_TOOLS := bench/.tools
PRISM := $(BENCH_TOOLS)/node_modules/.bin/prism
PY_SPY_VERSION := 0.4.3
PY_SPY := $(BENCH_TOOLS)/py-spy/bin/py-spy

bench: $(STAMP) $(PRISM) $(PY_SPY) ## mock vs Prism vs bare Starlette, payload, memory, SDK overhead, footprint
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq wrk; }
	PYTHONPATH=$(CURDIR)/bench $(PY) -m kling_bench $(BENCH_ARGS)

# The install size and import figures alone (no Prism, no wrk); `make bench` includes them.
# BENCH_ARGS=--no-install times the imports in .venv instead of a fresh install.
footprint: $(STAMP) ## SDK-only install size and package count; import times against httpx
	PYTHONPATH=$(CURDIR)/bench $(PY) -m kling_bench --footprint-only $(BENCH_ARGS)

$(PRISM): bench/prism/package.json bench/prism/package-lock.json
	@command -v npm >/dev/null || { echo "make bench needs Node.js and npm (for Prism)"; exit 2; }
	mkdir -p $(BENCH_TOOLS)
	cp bench/prism/package.json bench/prism/package-lock.json $(BENCH_TOOLS)/
	npm ci --prefix $(BENCH_TOOLS) --no-audit --no-fund --loglevel=error
	@touch $@

# py-spy, for `make bench BENCH_ARGS=--profile`: kept out of the project's environment.
$(PY_SPY): $(STAMP)
	$(UV) pip install --quiet --target $(BENCH_TOOLS)/py-spy py-spy==$(PY_SPY_VERSION)
	@touch $@

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis $(BENCH_TOOLS)

# The resolved spec through the generators users run (openapi-python-client,
# datamodel-code-generator, openapi-typescript, @hey-api/openapi-ts, openapi-generator),
# each output compiled or type-checked, and Spectral and Redocly with nothing above info.
# Tools pinned by downstream/package-lock.json and downstream/versions.env, in downstream/.tools.
downstream: $(STAMP) ## feed the resolved spec to other generators and linters, check what they make
	downstream/run.sh
