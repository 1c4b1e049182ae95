# frontdesk — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run demo test check lint-all mypy js-test install lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check uv

# --compile-bytecode: every process the suite starts (servers, CLI calls, workers) reads .pyc files
# instead of compiling each module again; that matters where PYTHONDONTWRITEBYTECODE is set.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[test]'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

run: install
	$(BIN)/frontdesk migrate
	$(BIN)/frontdesk serve --host $(HOST) --port $(PORT)

# A simulated history for the reports (frontdesk demo): WEEKS weeks ending yesterday, SEED.
WEEKS ?= 8
SEED  ?= 1
demo: install
	$(BIN)/frontdesk migrate
	$(BIN)/frontdesk demo --weeks $(WEEKS) --seed $(SEED)

# Lint, format, types and the JavaScript unit tests (Node's own runner, no dependencies).
lint-all: install
	$(BIN)/ruff check frontdesk tests scripts
	$(BIN)/ruff format --check frontdesk tests scripts

mypy: install
	$(BIN)/mypy frontdesk

js-test:
	bash scripts/test-services.sh --install-only
	node --test tests/js/

# The quick ones (about a minute): lint, format, mypy, node tests, the pure domain tests and the
# architecture guards. Run it before every commit.
check: lint-all mypy js-test
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/domain tests/architecture

# Everything: the quick ones, then the whole pytest suite. Installs Debian
# chromium/postgresql/redis/nodejs when missing (as root), starts throw-away PostgreSQL and Redis
# on loopback, then runs the suite against them. Without PYTEST_ARGS this is the full run, and
# FRONTDESK_FULL_RUN=1 turns on the checks that need every test (tests/test_route_coverage.py).
# PYTEST_WORKERS pytest-xdist processes run whole modules side by side (a module's servers stay
# on one worker); the suite mostly waits on servers and browsers. PYTEST_WORKERS=0 runs it serially.
PYTEST_WORKERS ?= 2
test: lint-all mypy js-test
	$(BIN)/python -m compileall -q frontdesk tests > /dev/null
	FRONTDESK_FULL_RUN=$(if $(strip $(PYTEST_ARGS)),,1) \
	bash scripts/test-services.sh $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench.chat_throughput

clean:
	rm -rf $(VENV) var .pytest_cache
