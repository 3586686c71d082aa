# Two entry points for a fresh machine: `make demo` runs the daemon and the staff desk
# on the embedded default with example mails; `make test` installs what the tests need
# and runs them.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo setup test system-deps clean-var

# The desk runs in the background and is stopped when the daemon ends (Ctrl-C included);
# a background job of a non-interactive shell ignores SIGINT, so the trap stops it.
demo: setup
	$(BIN)/incasso db upgrade
	$(BIN)/incasso demo seed
	@echo "Medewerkersscherm: http://127.0.0.1:8000/ - eerste account: $(BIN)/incasso users add --role staff --email U@VOORBEELD.NL (link in var/outbox/mail/)"
	@$(BIN)/incasso web & web=$$!; \
	trap 'kill $$web 2>/dev/null; wait $$web 2>/dev/null' EXIT INT TERM; \
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
