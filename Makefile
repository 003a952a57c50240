# JNS Call Center appliance.  Run as root on Debian 12+ (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

IMAGE  := images/jns-pbx-x86_64.img

.PHONY: help deps venv rootfs image run run-host test test-fast bench clean

help:
	@echo "make run    - build the image and boot it in qemu (serial console here, panel on :8443)"
	@echo "make run-host - the appliance directly on this host (Asterisk 22 + services + panel on :8080)"
	@echo "make image  - build the flashable disk image in images/"
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

rootfs: deps venv
	scripts/build-rootfs.sh

image: deps venv
	scripts/build-image.sh

run: image venv
	$(PY) -m appliance.vm

run-host: deps venv rootfs
	$(PY) -m appliance.devbox

# Serial: on two workers the qemu boots time out under load, and the call tests meet port
# races between workers (free_port) and SIPp timing limits; the slowest tests are listed.
test: deps venv rootfs image
	$(PY) -m pytest -q --durations=30

test-fast: venv
	$(PY) -m pytest -q -m "not asterisk and not browser and not image"

bench: deps venv rootfs image
	$(PY) -m bench.call_rate
	$(PY) -m bench.boot
	$(PY) -m bench.hal
	$(PY) -m bench.live
	$(PY) -m bench.reports
	$(PY) -m bench.dialer
	$(PY) -m bench.lists

clean:
	rm -rf build/bench build/screens var $(VENV)
