# frontdesk — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check uv

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[test]'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

run: install
	$(BIN)/frontdesk migrate
	$(BIN)/frontdesk serve --host $(HOST) --port $(PORT)

# Installs Debian chromium/postgresql/redis when missing (as root), starts throw-away
# PostgreSQL and Redis on loopback, then runs the whole suite against them.
test: install
	$(BIN)/ruff check frontdesk tests scripts
	bash scripts/test-services.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench.chat_throughput

clean:
	rm -rf $(VENV) var .pytest_cache
