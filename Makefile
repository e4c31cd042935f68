# The two commands a newcomer needs (see README):
#   make site   set everything up, generate the pages from digests/ and build the site into site/
#   make test   set everything up and run the checks and tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1

.PHONY: site test setup browser serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the project's requirements change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# MkDocs runs the generator (its papers-archive plugin) before building the site.
site: setup
	$(BIN)/mkdocs build --strict

# Preview with live reload; regenerates the pages when digests/ or taxonomy.yaml change.
serve: setup
	$(BIN)/mkdocs serve

# Browser tests drive Debian's Chromium (Playwright's own browser download cannot work here).
# Installing it needs root: sudo is used when make does not run as root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test: setup browser
	$(BIN)/ruff check generator tests scripts
	$(BIN)/ruff format --check generator tests scripts
	$(BIN)/mypy
	$(BIN)/pytest

clean:
	rm -rf site $(VENV)
