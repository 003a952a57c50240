# JNS Call Center appliance.  Run as root on Debian 12+ (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: help deps venv rootfs run test test-fast bench clean

help:
	@echo "make run    - the appliance on this host (Asterisk 22 + services + panel on :8080)"
	@echo "make test   - all tests: unit, real Asterisk + SIPp calls, headless Chromium"
	@echo "make bench  - benchmarks, JSON in build/bench/"
	@echo "make rootfs - build (or reuse the cached) Debian forky root filesystem"

deps:
	@scripts/host-deps.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

rootfs: deps
	scripts/build-rootfs.sh

run: deps venv rootfs
	$(PY) -m appliance.devbox

test: deps venv rootfs
	$(PY) -m pytest -q

test-fast: venv
	$(PY) -m pytest -q -m "not asterisk and not browser"

bench: deps venv rootfs
	$(PY) -m bench.call_rate

clean:
	rm -rf build/bench build/screens var $(VENV)
