VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever the project's metadata (dependencies, entry points) changes.
STAMP := $(VENV)/.installed-stamp

.PHONY: venv run test lint clean browser sso-servers messages

# The browser tests drive Debian's Chromium; Playwright's own browser downloads are never used.
CHROMIUM := /usr/bin/chromium
# tests/ops checks the systemd units of docs/deploy/ with systemd-analyze (Debian's systemd).
SYSTEMD_ANALYZE := /usr/bin/systemd-analyze
# The single sign-on tests start real servers: Debian's OpenLDAP slapd (with ldap-utils to
# load it), xmlsec1 for pysaml2's signatures, and panva's oidc-provider run by Node (20 or
# later, already on the machine: Debian's own nodejs is too old for it).
SLAPD := /usr/sbin/slapd
XMLSEC := /usr/bin/xmlsec1
OIDC_OP := tests/support/oidc_op/node_modules/.installed-stamp

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
test: lint browser sso-servers $(SYSTEMD_ANALYZE)
	$(BIN)/python -m pytest

# axe-core, the accessibility checker the browser tests inject into each page (tests/support/axe).
AXE := tests/support/axe/node_modules/.installed-stamp

browser: $(CHROMIUM) $(AXE)

$(AXE): tests/support/axe/package-lock.json
	npm ci --prefix tests/support/axe --no-audit --no-fund
	touch $@

$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-liberation

$(SYSTEMD_ANALYZE):
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd
sso-servers: $(SLAPD) $(XMLSEC) $(OIDC_OP)

$(SLAPD) $(XMLSEC):
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slapd ldap-utils xmlsec1

# The versions are pinned by the lock file; npm ci installs exactly them. npm dates the files
# it unpacks 1985, hence a stamp of our own.
$(OIDC_OP): tests/support/oidc_op/package-lock.json
	npm ci --prefix tests/support/oidc_op --no-audit --no-fund
	touch $@

# After changing what a page or a message says: collect the message ids into both catalogues
# (server/i18n/locale/*/LC_MESSAGES/timbra.po), then translate the new Italian entries.
# tests/suite/test_catalogues.py fails while an id is missing or untranslated.
POT := $(VENV)/timbra.pot
messages: venv
	$(BIN)/pybabel extract -F server/i18n/babel.cfg -k N_ -k Nn_:1,2 --no-location --sort-output -o $(POT) .
	$(BIN)/pybabel update -i $(POT) -d server/i18n/locale -D timbra --no-fuzzy-matching --omit-header --ignore-obsolete

clean:
	rm -rf $(VENV) build dist *.egg-info terminals/build terminals/*.egg-info .mypy_cache .ruff_cache .pytest_cache tests/artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
