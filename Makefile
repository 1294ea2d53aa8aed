# Moke — the two commands:  `make run`  and  `make test`.
# Both are idempotent: each step is skipped when what it produces is already up to date.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
STAMP  := $(VENV)/.stamp
# The Python lock: what `moke serve` needs, and that plus the test tools at the same versions (`make lock`).
LOCK_RUN  := requirements/run.txt
LOCK_TEST := requirements/test.txt
UV         := $(VENV)/bin/uv
UV_VERSION := 0.13.8
UV_COMPILE := UV_CUSTOM_COMPILE_COMMAND='make lock' $(UV) pip compile pyproject.toml --quiet --universal \
              --python-version 3.11 --generate-hashes --no-emit-package moke

.PHONY: run test install install-test lock web wheel testjs pdf-libs chromium firefox coturn iptables deploy-tools lint pytest bench clean

## make run: install everything (Python + web client) and serve on http://127.0.0.1:8080
run: install web pdf-libs
	$(VENV)/bin/moke serve

## make test: install test dependencies (and Pango, Chromium, Firefox ESR, coturn, iptables, docker-compose and Caddy from Debian when root), lint, type-check, run the suite
test: install-test web testjs pdf-libs chromium firefox coturn iptables deploy-tools lint pytest

install: $(STAMP)-run
$(STAMP)-run: pyproject.toml $(LOCK_RUN)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --require-hashes -r $(LOCK_RUN)
	$(PIP) install -q --no-deps -e .
	$(PIP) check
	touch $@

install-test: $(STAMP)-test
$(STAMP)-test: pyproject.toml $(LOCK_TEST)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --require-hashes -r $(LOCK_TEST)
	$(PIP) install -q --no-deps -e .
	$(PIP) check
	touch $@ $(STAMP)-run

## make lock: regenerate requirements/run.txt and requirements/test.txt (pinned, with hashes) from pyproject.toml.
## Versions already pinned stay unless they no longer fit; `make lock UPGRADE=--upgrade` (or
## `UPGRADE='--upgrade-package aiohttp'`) moves them. uv is installed into the venv for this only.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(PIP) install -q 'uv==$(UV_VERSION)'
	$(UV_COMPILE) $(UPGRADE) -o $(LOCK_RUN)
	$(UV_COMPILE) $(UPGRADE) --extra test -c $(LOCK_RUN) -o $(LOCK_TEST)

# `npm ci`: exactly the committed lock, which never rewrites it (the locks list every platform's optional packages).
web: web/node_modules/.stamp
	cd web && npm run build --silent
web/node_modules/.stamp: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make wheel: dist/moke-*.whl with the built web client inside (`pip install` it anywhere; deploy/README.md)
wheel: web
	$(PIP) wheel -q --no-deps -w dist .

testjs: tests/js/node_modules/.stamp
tests/js/node_modules/.stamp: tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Pango and CJK fonts: WeasyPrint lays out PDF reports with them (without Pango, PDF export answers 503).
pdf-libs:
	@if ! /sbin/ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || [ ! -d /usr/share/fonts/opentype/noto ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk >/dev/null; \
	  else echo "note: Pango or fonts-noto-cjk is missing and we are not root; PDF reports will answer 503"; fi; \
	fi

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "note: /usr/bin/chromium is missing and we are not root; browser tests will be skipped"; fi; \
	fi

# Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core (tests/js); no browser is downloaded.
firefox:
	@if [ ! -x /usr/bin/firefox-esr ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr fonts-noto-cjk >/dev/null; \
	  else echo "note: /usr/bin/firefox-esr is missing and we are not root; Firefox tests will be skipped"; fi; \
	fi

# Debian's docker-compose and Caddy: tests/deploy validates deploy/docker-compose.yml and deploy/Caddyfile
# with them (no Docker daemon needed). --no-install-recommends: the compose CLI, not the docker.io daemon.
deploy-tools:
	@if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1 \
	    || ! command -v caddy >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      $$(command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || echo docker-compose) \
	      $$(command -v caddy >/dev/null || echo caddy) >/dev/null; \
	  else echo "note: docker-compose or caddy is missing and we are not root; deploy tests will be skipped"; fi; \
	fi

# Debian's coturn: the TURN server the media tests allocate relays on (TURN REST API secret, UDP/TCP/TLS).
coturn:
	@if [ ! -x /usr/bin/turnserver ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn >/dev/null; \
	  else echo "note: /usr/bin/turnserver is missing and we are not root; TURN tests will be skipped"; fi; \
	fi

# iptables: NAT and firewall of the school router the field tests build from namespaces (tests/support/netns.py).
iptables:
	@if [ ! -x /usr/sbin/iptables ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null; \
	  else echo "note: /usr/sbin/iptables is missing and we are not root; the field tests will be skipped"; fi; \
	fi

# alembic check: the models and the migrations agree (Alembic's own command line, on a fresh SQLite database).
# ESLint (typescript-eslint, web/eslint.config.js) checks the web client installed by `make web` (run before it).
lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	cd web && npm run --silent lint
	@db=$$(mktemp -d) && trap 'rm -rf "$$db"' EXIT \
	  && { $(VENV)/bin/alembic -x url=sqlite+aiosqlite:///$$db/check.db upgrade head >$$db/log 2>&1 || { cat $$db/log; exit 1; }; } \
	  && $(VENV)/bin/alembic -x url=sqlite+aiosqlite:///$$db/check.db check

# The suite on PYTEST_WORKERS pytest-xdist workers (its tests mostly wait on browsers, servers and the network,
# so more workers than the CI machine's two cores pay); `make pytest PYTEST_WORKERS=0` runs it in one process.
# loadfile (refined in tests/support/workers.py): a module at a time to the first idle worker, the slowest
# first, in collection order (not by size: --no-loadscope-reorder). --durations: where the time goes, every run.
PYTEST_WORKERS ?= 0
pytest:
	$(PY) -m pytest -q -ra -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30 $(PYTEST_ARGS)

bench: install-test testjs bench/node_modules/.stamp
	$(PIP) install -q -r bench/requirements.txt  # exact pins; the hashed test lock cannot constrain them
	$(PY) bench/collab_fanout.py
	$(PY) bench/collab_soak.py
bench/node_modules/.stamp: bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) web/node_modules web/dist tests/js/node_modules
