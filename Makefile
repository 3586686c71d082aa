# Two entry points for a fresh machine: `make demo` runs the daemon on the embedded
# default with example mails; `make test` installs what the tests need and runs them.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo setup test system-deps clean-var

demo: setup
	$(BIN)/incasso db upgrade
	$(BIN)/incasso demo seed
	$(BIN)/incasso run

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

system-deps:
	bash scripts/install-system-deps

test: system-deps setup
	$(BIN)/python -m pytest

clean-var:
	rm -rf var
