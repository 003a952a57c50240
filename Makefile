# JNS Call Center appliance.  Run as root on Debian 12+ (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

IMAGE  := images/jns-pbx-x86_64.img

.PHONY: help deps venv vendor rootfs image bundle update-keys run run-host test test-fast bench clean

help:
	@echo "make run    - build the image and boot it in qemu (serial console here, panel on :8443)"
	@echo "make run-host - the appliance directly on this host (Asterisk 22 + services + panel on :8080)"
	@echo "make image  - build the flashable disk image in images/"
	@echo "make bundle - a signed update bundle (.jnsupd) of that image, for boxes in the field"
	@echo "make update-keys - the Ed25519 signing key pair, outside the repository"
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

# the browser softphone's SIP library into the panel's static files (npm, checked sha512)
vendor: deps
	scripts/vendor-js.sh

rootfs: deps venv
	scripts/build-rootfs.sh

image: deps venv vendor
	scripts/build-image.sh

bundle: image
	scripts/build-bundle.sh

update-keys:
	scripts/update-keys.sh

run: image venv
	$(PY) -m appliance.vm

run-host: deps venv vendor rootfs
	$(PY) -m appliance.devbox

# Three groups: the tests without Asterisk (Python, Chromium) run alongside the real-call
# tests (Asterisk + SIPp; one pytest each, on two cores), then the qemu boots run alone (under
# load they time out).  Not xdist: workers mixing call tests race for ports and SIPp timing.
# Measured on 2 cores: 9 min and 21 min side by side instead of 30 min in a row.
test: deps venv vendor rootfs image
	@mkdir -p build
	@$(PY) -m pytest -q -p no:cacheprovider -m "not asterisk and not image" \
	    > build/test-python.log 2>&1 & python=$$!; \
	echo "== real calls (Asterisk, SIPp); the Python tests run alongside into build/test-python.log"; \
	$(PY) -m pytest -q -m "asterisk and not image" --durations=15; calls=$$?; \
	wait $$python; py=$$?; \
	echo "== tests without Asterisk (build/test-python.log)"; \
	if [ $$py -eq 0 ]; then tail -n 3 build/test-python.log; else cat build/test-python.log; fi; \
	echo "== the image in qemu"; \
	$(PY) -m pytest -q -m image --durations=5; image=$$?; \
	echo "== exit codes: python $$py, calls $$calls, image $$image"; \
	[ $$py -eq 0 ] && [ $$calls -eq 0 ] && [ $$image -eq 0 ]

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
	$(PY) -m bench.backup
	$(PY) -m bench.update
	$(PY) -m bench.crm
	$(PY) -m bench.auto
	$(PY) -m bench.routing

clean:
	rm -rf build/bench build/screens var $(VENV)
