VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever the project's metadata (dependencies, entry points) changes.
STAMP := $(VENV)/.installed-stamp

.PHONY: venv run test lint clean browser

# The browser tests drive Debian's Chromium; Playwright's own browser downloads are never used.
CHROMIUM := /usr/bin/chromium
# tests/ops checks the systemd units of docs/deploy/ with systemd-analyze (Debian's systemd).
SYSTEMD_ANALYZE := /usr/bin/systemd-analyze

venv: $(STAMP)

# The terminal is its own distribution (terminals/pyproject.toml); naming it on the same line
# makes pip take timbra's dependency on it from this checkout, not from an index.
$(STAMP): pyproject.toml terminals/pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -e ./terminals -e '.[dev]'
	# A venv made before the terminal had its own distribution: the old timbra's uninstall
	# removed the timbra-terminal script the line above had just written. Put it back.
	test -x $(BIN)/timbra-terminal || $(BIN)/pip install --no-deps -e ./terminals
	touch $@

run: venv
	$(BIN)/timbra run

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

# No `-` prefixes or `|| true`: any failure, including pytest's exit 5 (no tests), fails make.
test: lint browser $(SYSTEMD_ANALYZE)
	$(BIN)/python -m pytest

browser: $(CHROMIUM)

$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-liberation

$(SYSTEMD_ANALYZE):
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd

clean:
	rm -rf $(VENV) build dist *.egg-info terminals/build terminals/*.egg-info .mypy_cache .ruff_cache .pytest_cache tests/artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
