# Moke — the two commands:  `make run`  and  `make test`.
# Both are idempotent: each step is skipped when what it produces is already up to date.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
STAMP  := $(VENV)/.stamp

.PHONY: run test install install-test web wheel testjs chromium firefox coturn iptables deploy-tools lint pytest bench clean

## make run: install everything (Python + web client) and serve on http://127.0.0.1:8080
run: install web
	$(VENV)/bin/moke serve

## make test: install test dependencies (and Chromium, Firefox ESR, coturn, iptables, docker-compose and Caddy from Debian when root), lint, type-check, run the suite
test: install-test web testjs chromium firefox coturn iptables deploy-tools lint pytest

install: $(STAMP)-run
$(STAMP)-run: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c requirements.lock -e .
	touch $@

install-test: $(STAMP)-test
$(STAMP)-test: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c requirements.lock -e '.[test]'
	touch $@ $(STAMP)-run

# `npm install` (not `npm ci`): it installs exactly the locked versions too, but npm 11 `ci` rejects a
# lock that lacks other platforms' optional packages (rollup), which this registry set-up writes.
web: web/node_modules/.stamp
	cd web && npm run build --silent
web/node_modules/.stamp: web/package.json web/package-lock.json
	cd web && npm install --no-audit --no-fund --loglevel=error
	touch $@

## make wheel: dist/moke-*.whl with the built web client inside (`pip install` it anywhere; deploy/README.md)
wheel: web
	$(PIP) wheel -q --no-deps -w dist .

testjs: tests/js/node_modules/.stamp
tests/js/node_modules/.stamp: tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm install --no-audit --no-fund --loglevel=error
	touch $@

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

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

pytest:
	$(PY) -m pytest -q -ra $(PYTEST_ARGS)

bench: install-test testjs bench/node_modules/.stamp
	$(PIP) install -q -c requirements.lock -r bench/requirements.txt
	$(PY) bench/collab_fanout.py
	$(PY) bench/collab_soak.py
bench/node_modules/.stamp: bench/package.json bench/package-lock.json
	cd bench && npm install --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) web/node_modules web/dist tests/js/node_modules
