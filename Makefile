# One place for the commands people and CI run. Everything goes through the project's venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench schema lock clean derive coverage

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## The main job: serve the live stream on http://127.0.0.1:8080 (embedded Redis, sample trail,
## then a live scenario). Open http://127.0.0.1:8080/ or `curl -N localhost:8080/v1/events`.
run: $(STAMP)
	$(BIN)/eventstream serve --demo

JS := tests/serve/js

## The test suite. Installs what it runs for real if missing (scripts/test-deps.sh: redis-server,
## Chromium, npm; Debian, as root) and the npm `eventsource` client it tests against.
test: $(STAMP) $(JS)/node_modules/.installed
	$(BIN)/python -m pytest -q

$(JS)/node_modules/.installed: $(JS)/package-lock.json scripts/test-deps.sh
	scripts/test-deps.sh
	cd $(JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Lint, types, and the committed schema.
check: $(STAMP)
	$(BIN)/ruff check eventstream tests bench scripts examples
	$(BIN)/ruff format --check eventstream tests bench scripts examples
	$(BIN)/mypy
	$(BIN)/python scripts/schema.py --check

bench: $(STAMP)
	$(BIN)/python bench/normalize.py

schema: $(STAMP)
	$(BIN)/python scripts/schema.py

## Re-resolve the locked dependencies after changing pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11
	$(BIN)/uv pip compile pyproject.toml -o requirements-runtime.lock --python-version 3.11

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

## The derived resolver's table (eventstream/data/derived.json) from the pinned cfn-lint and
## botocore of the dev extra, and the coverage report it gives (docs/coverage.md).
derive: $(STAMP)
	$(BIN)/python scripts/derive.py

coverage: $(STAMP)
	$(BIN)/python scripts/coverage.py
