# The README's two commands are `make run` and `make test`; everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Tests keep their secret key and static folder away from the demo's var/.
TEST_DATA_DIR ?= $(CURDIR)/var/test
TEST_ENV := KAOHE_DATA_DIR=$(TEST_DATA_DIR)
# The browser tests drive Debian's chromium (never a downloaded one).
CHROMIUM := /usr/bin/chromium
# PostgreSQL for the second run: $DATABASE_URL, else the local server (trust auth).
LOCAL_PG_URL := postgresql://postgres@127.0.0.1:5432/kaohe_ci
CASES := $$(test -d ../shared/cases && echo ../shared/cases)

.PHONY: run test test-fast test-sqlite test-pg chromium lint bench clean
# The steps of `make test` run in the order written, even under `make -j`.
.NOTPARALLEL:

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kaohe demo

# Everything CI runs: lint, types, the whole suite on SQLite (browser tests
# included), the Django and browser tests again on PostgreSQL, the cases.
test: $(STAMP) chromium lint test-sqlite test-pg
	$(BIN)/kaohe check cases $(CASES)

# For developers: lint, types and every test except the browser ones, SQLite only.
test-fast: $(STAMP) lint
	env -u DATABASE_URL $(TEST_ENV) $(BIN)/pytest -n 2 -m 'not browser' --ignore=tests/browser

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy

test-sqlite: $(STAMP) chromium
	env -u DATABASE_URL $(TEST_ENV) $(BIN)/pytest -n 2

# Django creates test_kaohe_ci (with xdist: test_kaohe_ci_gw0, _gw1) and drops it after.
test-pg: $(STAMP) chromium
	@if [ -z "$$DATABASE_URL" ] && ! $(MAKE) --no-print-directory -s _local-pg; then \
	  echo "make test: PostgreSQL is not reachable (no DATABASE_URL, nothing on 127.0.0.1:5432)" >&2; \
	  exit 1; \
	fi
	DATABASE_URL="$${DATABASE_URL:-$(LOCAL_PG_URL)}" $(TEST_ENV) $(BIN)/pytest -n 2 tests/web tests/browser

# Succeeds when the local PostgreSQL answers, starting its cluster first if needed.
.PHONY: _local-pg
_local-pg:
	@pg_up() { $(BIN)/python -c "import psycopg; psycopg.connect('$(LOCAL_PG_URL:kaohe_ci=postgres)', connect_timeout=3).close()" 2>/dev/null; }; \
	pg_up && exit 0; \
	for version in $$(ls /etc/postgresql 2>/dev/null); do \
	  pg_ctlcluster --skip-systemctl-redirect $$version main start >/dev/null 2>&1 || true; \
	done; \
	for _ in 1 2 3 4 5 6 7 8 9 10; do pg_up && exit 0; sleep 1; done; \
	exit 1

# Debian's chromium and CJK fonts (screenshots show Chinese), installed once, quietly.
chromium:
	@if ! test -x $(CHROMIUM) || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  command -v apt-get >/dev/null && { \
	    apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }; \
	  }; \
	fi
	@test -x $(CHROMIUM) || { echo "make test: $(CHROMIUM) could not be installed" >&2; exit 1; }

bench: $(STAMP)
	$(BIN)/kaohe bench engine

clean:
	rm -rf $(VENV) var bench-out test-artifacts
