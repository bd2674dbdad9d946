# hybridfleet.ecs_anywhere — one-command set-up, tests and demo.
# `make demo` runs the main job in the local sandbox; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PYTHON  := $(VENV)/bin/python
PYTEST  := $(VENV)/bin/pytest
SANDBOX := .sandbox
BUILD   := .build
COLLECTIONS := $(BUILD)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/hybridfleet/ecs_anywhere
EMULATOR_PORT ?= 4566
EMULATOR_URL  := http://127.0.0.1:$(EMULATOR_PORT)
PYTEST_ARGS ?=
# JUnit files and failed molecule logs of the last run, read by tools/failed_tests.py at the end of make test.
REPORTS := $(BUILD)/test-reports
JUNIT = --junitxml=$(REPORTS)/$@.xml

# Tools installed in the venv (molecule, ansible-playbook…) must win over any on the machine.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(abspath $(COLLECTIONS))
export ANSIBLE_FORCE_COLOR := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv collection-link unit emulator-tests integration integration-order lint sanity build test \
        demo emulator emulator-stop changelog-lint clean fresh-start-test

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(VENV)/.stamp: requirements.txt requirements-dev.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp  ## create .venv from the pinned requirement files

collection-link:  ## expose this checkout as ansible_collections/hybridfleet/ecs_anywhere
	@mkdir -p $(dir $(COLLECTION_LINK))
	@test -e $(COLLECTION_LINK) || ln -s $(CURDIR) $(COLLECTION_LINK)

unit: venv collection-link  ## unit tests (no network, no services)
	$(PYTEST) tests/unit -q -n 2 $(JUNIT) $(PYTEST_ARGS)

emulator-tests: venv  ## the emulated control plane's own test suite
	$(PYTEST) tests/emulator -q -n 2 $(JUNIT) $(PYTEST_ARGS)

# The real-kernel VM host test (QEMU TCG, minutes) runs on its own: make test-vm.
# One file per worker (--dist loadfile): a file's tests share one enrolled fleet. The host tests
# mostly wait on agents and polls, so three workers on two cores about halve the wall time. Files are
# handed out heaviest first (tests/integration/file_seconds.json, tools/integration_order.py), not
# re-sorted by test count. `make integration-order` rewrites the weights from the last run's report.
INTEGRATION_JOBS ?= 3
integration: venv collection-link  ## modules, playbooks, roles, reliability and the sandbox fleet against the emulator
	$(PYTEST) tests/integration -q -m "not vm" -n $(INTEGRATION_JOBS) --dist loadfile --no-loadscope-reorder --durations=15 $(JUNIT) $(PYTEST_ARGS)

integration-order: venv  ## reweigh the integration files from the last run's JUnit report
	$(PYTHON) tools/integration_order.py $(REPORTS)/integration.xml > tests/integration/file_seconds.json

# ansible-test's sanity sees only what ships (plugins/, roles/...); ruff checks every Python file of the repo (tests,
# the sandbox, bench, tools too) with the pyflakes and pycodestyle rules at the sanity test's own settings:
# 160 columns, its pep8 ignore list. --preview: pycodestyle's whitespace and blank-line rules are preview in ruff.
RUFF_ARGS := --no-cache --line-length 160 --select E,W,F --ignore E402,E741,E203,E701 --preview
lint: venv collection-link  ## ruff over all Python, ansible-lint (production profile), changelog fragments
	$(VENV)/bin/ruff check $(RUFF_ARGS) plugins tests bench tools
	$(VENV)/bin/ansible-lint
	$(VENV)/bin/antsibull-changelog lint

# Building needs ansible-galaxy only: a small venv of its own (ansible-core, requirements-build.txt),
# never the test toolchain of .venv. Kept in .build/, so `make clean` removes it too.
BUILD_VENV := $(BUILD)/build-venv

$(BUILD_VENV)/.stamp: requirements-build.txt
	test -x $(BUILD_VENV)/bin/python || python3 -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/python -m pip install --quiet -r requirements-build.txt
	touch $@

build: $(BUILD_VENV)/.stamp  ## build the collection tarball into .build/dist (ansible-core only)
	@mkdir -p $(BUILD)/dist
	$(BUILD_VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD)/dist

# ansible-test wants the collection at ansible_collections/<ns>/<name>; we test what ships:
# the built tarball, unpacked.
# ansible-test --venv downloads a get-pip script from a host this network cannot reach; seed its
# cache with an offline stand-in (tools/ansible_test_get_pip.py). ansible-core 2.19 pins pip 24.2.
ANSIBLE_TEST_GET_PIP := $(HOME)/.ansible/test/cache/get_pip_24_2.py

$(ANSIBLE_TEST_GET_PIP): tools/ansible_test_get_pip.py
	mkdir -p $(dir $@) && cp $< $@

sanity: venv build $(ANSIBLE_TEST_GET_PIP)  ## ansible-test sanity on the built collection
	rm -rf $(BUILD)/sanity && mkdir -p $(BUILD)/sanity/ansible_collections/hybridfleet/ecs_anywhere
	tar -xzf $(BUILD)/dist/hybridfleet-ecs_anywhere-*.tar.gz -C $(BUILD)/sanity/ansible_collections/hybridfleet/ecs_anywhere
	@# ansible-test resolves dependencies only beside the collection under test: copy amazon.aws there.
	mkdir -p $(BUILD)/sanity/ansible_collections/amazon && cp -a \
	  "$$($(PYTHON) -c 'import ansible_collections.amazon.aws as m; print(list(m.__path__)[0])')" \
	  $(BUILD)/sanity/ansible_collections/amazon/aws
	cd $(BUILD)/sanity/ansible_collections/hybridfleet/ecs_anywhere && \
	  git init -q && echo "/tests/output/" > .gitignore && git add -A && \
	  $(abspath $(VENV))/bin/ansible-test sanity --venv --python 3.11 --color no

emulator: venv  ## start the emulated AWS control plane in the background (.sandbox/emulator.{pid,log})
	@mkdir -p $(SANDBOX)
	@if [ -f $(SANDBOX)/emulator.pid ] && kill -0 $$(cat $(SANDBOX)/emulator.pid) 2>/dev/null; then \
	  echo "emulator already running at $(EMULATOR_URL)"; \
	else \
	  nohup $(PYTHON) -m tests.sandbox.emulator --host 127.0.0.1 --port $(EMULATOR_PORT) $(EMULATOR_ARGS) \
	    > $(SANDBOX)/emulator.log 2>&1 & echo $$! > $(SANDBOX)/emulator.pid; \
	  for i in $$(seq 1 100); do curl -sf $(EMULATOR_URL)/_emulator/health >/dev/null && break; sleep 0.2; done; \
	  curl -sf $(EMULATOR_URL)/_emulator/health >/dev/null || { cat $(SANDBOX)/emulator.log; exit 1; }; \
	  echo "emulator running at $(EMULATOR_URL) (log: $(SANDBOX)/emulator.log)"; \
	fi

emulator-stop:  ## stop the background emulator
	@if [ -f $(SANDBOX)/emulator.pid ]; then \
	  kill $$(cat $(SANDBOX)/emulator.pid) 2>/dev/null || true; rm -f $(SANDBOX)/emulator.pid; echo "emulator stopped"; \
	fi

# The sandbox stays up afterwards so the user can explore it; `make sandbox-down` removes it.
demo: venv collection-link  ## the main job in the local sandbox: enroll, update, drain 3 hosts
	$(MAKE) --no-print-directory sandbox-up N=$(N)
	$(PYTHON) -m tests.sandbox.demo

# The molecule scenarios run beside integration (mk/molecule.mk, integration-and-molecule): the VM one keeps a
# core busy in QEMU (no KVM), then the container ones follow one at a time, while integration's workers mostly
# wait on agents and polls.
TEST_SUITES := unit lint sanity emulator-tests integration-and-molecule fresh-start-test

# A fresh machine's first start (no engine, no docker0, empty data root) in namespaces of its own, so
# `make test` goes through it on every machine. Alone and last: beside other tests' hosts booting, their
# boots failed (whether it is the cause is not settled), so nothing boots hosts after it.
fresh-start-test: venv collection-link docker-up  ## the sandbox's first start as on a fresh machine (in namespaces)
	SANDBOX_FRESH_START=1 $(PYTEST) tests/integration/test_sandbox_fleet.py -q -k fresh_machine $(JUNIT) $(PYTEST_ARGS)

# Every suite runs even when an earlier one fails, each says how long it took (CI has a time budget) and how
# many CPU-seconds the whole machine spent meanwhile (the host tests are CPU-bound on a small machine: that
# figure, not the wall time, says what a change costs), and the sandbox is always torn down. The last lines
# name every failed test (CI shows only a tail).
BUSY_CPU_TICKS = awk '/^cpu /{print $$2+$$3+$$4+$$7+$$8+$$9}' /proc/stat
test: venv collection-link  ## every test: unit, lint, sanity, emulator, integration, molecule (+ sandbox hosts)
	$(MAKE) --no-print-directory docker-up report-prereqs
	@rm -rf $(REPORTS) && mkdir -p $(REPORTS)
	@status=0; failed=; hz=$$(getconf CLK_TCK); for suite in $(TEST_SUITES); do start=$$SECONDS; busy=$$($(BUSY_CPU_TICKS)); \
	  $(MAKE) --no-print-directory $$suite || { status=2; failed="$$failed $$suite"; }; \
	  echo "make test: $$suite took $$((SECONDS - start)) s, the machine busy $$(( ($$($(BUSY_CPU_TICKS)) - busy) / hz )) CPU-s of $$(( (SECONDS - start) * $$(nproc) ))"; done; \
	  $(MAKE) --no-print-directory sandbox-down; \
	  $(PYTHON) tools/failed_tests.py $(REPORTS); \
	  echo "make test: $${failed:+FAILED:$$failed, }$$SECONDS s in all"; exit $$status

clean:  ## remove build output (not the venv)
	rm -rf $(BUILD)

-include $(wildcard mk/*.mk)
