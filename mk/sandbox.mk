# Sandbox fleet: Docker engine, systemd test hosts, stand-in agent packages, package mirror.
# See tests/sandbox/README.md. Included by the root Makefile (VENV, PYTHON, SANDBOX, EMULATOR_PORT,
# the `venv` and `emulator`/`emulator-stop` targets come from there).
#
#   make sandbox-up N=3            emulator + mirror + packages + N hosts, .sandbox/env, inventory
#   make sandbox-down              remove all of it (and stop the dockerd it started)
#   make hosts-up N=3 DISTRO=bookworm | DISTROS=bookworm,trixie | KIND=vm | LOGIN_USER=ops | NETWORK=proxied
#   make hosts-down                remove the hosts and their volumes
#   make images DISTROS=bookworm,bullseye,trixie
#   make packages / mirror-up / mirror-down / docker-up / docker-down

N        ?= 3
DISTRO   ?= bookworm
DISTROS  ?= $(DISTRO)
KIND     ?= container
# Who the written inventories log in as: root, or the hosts' unprivileged `ops` (sudo on the hosts).
LOGIN_USER ?= root
MIRROR_PORT ?= 4580
# NETWORK=proxied: new container hosts join the proxy's network (mk/proxy.mk) instead of Docker's bridge.
NETWORK  ?=
PROXIED  := $(filter proxied,$(NETWORK))
FLEET_UP  = $(PYTHON) -m tests.sandbox.fleet up --count $(N) --distros $(DISTROS) --kind $(KIND) \
            $(if $(PROXIED),--network $(PROXY_NETWORK))
SANDBOX_HOSTS := tests/sandbox/hosts
SANDBOX_SERVICE := tests/sandbox/service.sh
# How hosts reach this machine: the Docker bridge's own address, known once the engine runs. The
# one answer the Python side uses too (tests/sandbox/settings.py); recipes fail when there is none.
BRIDGE_ADDRESS := $(PYTHON) -m tests.sandbox.settings bridge-address
# The scripts and python helpers read these, so one SANDBOX=dir / port override moves everything.
export EMULATOR_PORT MIRROR_PORT
export SANDBOX_LOGIN_USER := $(LOGIN_USER)
export SANDBOX_DIR := $(abspath $(SANDBOX))

.PHONY: test-vm docker-up docker-down vm-tools images hosts-up hosts-down hosts-list packages mirror-up mirror-down \
        sandbox-emulator sandbox-up sandbox-down sandbox-status

docker-up:  ## install docker.io/debootstrap if missing and start a Docker engine if none runs
	@$(SANDBOX_HOSTS)/engine.sh up

docker-down:  ## stop the dockerd the sandbox started (kept while any sandbox hosts run, unless FORCE=1)
	@FORCE=$(FORCE) $(SANDBOX_HOSTS)/engine.sh down

images: docker-up venv  ## build (or reuse) the host images for DISTROS
	@$(PYTHON) -m tests.sandbox.fleet images --distros $(DISTROS)

# The VM kind needs QEMU and mkfs.ext4/debugfs on this machine.
VM_PACKAGES := qemu-system-x86 e2fsprogs  # same list as tests/sandbox/hosts/vm.py TOOLS
vm-tools:
	@ENGINE_EXTRA_PACKAGES="$(VM_PACKAGES)" $(SANDBOX_HOSTS)/engine.sh install

hosts-up: docker-up venv $(if $(filter vm,$(KIND)),vm-tools) $(if $(PROXIED),proxy-up)  ## start N more hosts (DISTRO/DISTROS, KIND=container|vm, NETWORK=proxied), write .sandbox/inventory.yml
	@$(FLEET_UP)
	@$(PYTHON) -m tests.sandbox.fleet list

hosts-down:  ## remove the hosts and their volumes
	@$(PYTHON) -m tests.sandbox.fleet down

hosts-list:  ## show the running hosts
	@$(PYTHON) -m tests.sandbox.fleet list

packages:  ## build the stand-in agent .debs, sign them, export the test key (.sandbox/packages)
	@tests/sandbox/agents/build.sh

mirror-up: packages docker-up venv  ## serve .sandbox/packages in the S3 layout (loopback + bridge address)
	@gw=$$($(BRIDGE_ADDRESS)) && $(SANDBOX_SERVICE) start mirror http://127.0.0.1:$(MIRROR_PORT)/_mirror/health \
	  $(PYTHON) -m tests.sandbox.mirror --port $(MIRROR_PORT) --listen 127.0.0.1 --listen $$gw

mirror-down:  ## stop the mirror
	@$(SANDBOX_SERVICE) stop mirror

# The root Makefile's `emulator` listens on loopback only; hosts need the bridge gateway too, so
# restart it with an extra listener when the gateway does not answer. Same .sandbox/emulator.pid.
sandbox-emulator: docker-up venv
	@gw=$$($(BRIDGE_ADDRESS)) || exit 1; \
	if ! curl -sf http://$$gw:$(EMULATOR_PORT)/_emulator/health >/dev/null; then \
	  $(MAKE) --no-print-directory emulator-stop; \
	  $(MAKE) --no-print-directory emulator EMULATOR_ARGS="--listen $$gw:$(EMULATOR_PORT)"; \
	fi

sandbox-up: docker-up venv collection-link sandbox-emulator mirror-up $(if $(filter vm,$(KIND)),vm-tools) $(if $(PROXIED),proxy-up)  ## emulator + mirror + packages + N hosts, .sandbox/env
	@$(FLEET_UP)
	@$(PYTHON) -m tests.sandbox.fleet env > $(SANDBOX)/env
	@$(PYTHON) -m tests.sandbox.fleet list
	@echo "sandbox up: . $(SANDBOX)/env && ansible-playbook -i \$$SANDBOX_INVENTORY hybridfleet.ecs_anywhere.register"

sandbox-down:  ## remove hosts, volumes, proxy, mirror, emulator, and the dockerd the sandbox started
	@$(MAKE) --no-print-directory hosts-down
	@if [ -d $(SANDBOX)/proxy/$(PROXY_NETWORK) ]; then $(MAKE) --no-print-directory proxy-down; fi
	@$(MAKE) --no-print-directory mirror-down
	@$(MAKE) --no-print-directory emulator-stop
	@rm -f $(SANDBOX)/env
	@$(MAKE) --no-print-directory docker-down

sandbox-status:  ## what of the sandbox runs
	@$(SANDBOX_SERVICE) status emulator; $(SANDBOX_SERVICE) status mirror
	@$(PYTHON) -m tests.sandbox.proxy status --network $(PROXY_NETWORK) 2>/dev/null || true
	@$(SANDBOX_HOSTS)/engine.sh status
	@$(PYTHON) -m tests.sandbox.fleet list 2>/dev/null || true

test-vm: venv docker-up vm-tools  ## the slow real-kernel VM host test (QEMU TCG; not part of `make test`)
	$(PYTEST) tests/integration/test_sandbox_fleet.py -q -m vm $(PYTEST_ARGS)
