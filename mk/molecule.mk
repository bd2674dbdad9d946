# Molecule scenarios (molecule/README.md) on sandbox hosts of their own; part of `make test`.
#   make molecule                          every scenario, MOLECULE_JOBS at a time
#   make molecule MOLECULE_SCENARIOS=vm    one of them
# Each scenario starts and removes its own hosts under its own fleet name (molecule/shared/create.yml,
# destroy.yml), so they can run side by side. They share the emulator and mirror, started once here
# (so parallel prepares never race to start them) and stopped by `make sandbox-down`, which
# `make test` always runs. Most of a scenario's time is waiting on agents, not CPU: three at a time
# roughly halves the wall time on two cores.
# `lifecycle` walks one fleet through register, agent_update and drain_and_deregister on one host set
# (molecule/README.md); it replaced one scenario per playbook, which cost three host sets and five
# register runs in CI's 90 minutes.
MOLECULE_SCENARIOS ?= default vm lifecycle
MOLECULE_JOBS ?= 3

.PHONY: molecule $(addprefix molecule-,$(MOLECULE_SCENARIOS))

molecule: venv collection-link docker-up sandbox-emulator mirror-up $(if $(filter vm,$(MOLECULE_SCENARIOS)),vm-tools)  ## molecule scenarios (roles, VM host, playbooks)
	@$(MAKE) --no-print-directory -k -j$(MOLECULE_JOBS) --output-sync=target $(addprefix molecule-,$(MOLECULE_SCENARIOS))

$(addprefix molecule-,$(MOLECULE_SCENARIOS)): molecule-%:
	@start=$$SECONDS; mkdir -p $(REPORTS); rm -f $(REPORTS)/molecule-$*.failed; \
	  $(VENV)/bin/molecule test -s $* 2>&1 | tee $(REPORTS)/molecule-$*.log; status=$${PIPESTATUS[0]}; \
	  [ $$status = 0 ] || touch $(REPORTS)/molecule-$*.failed; \
	  echo "molecule: scenario $* $$( [ $$status = 0 ] && echo passed || echo FAILED ) in $$((SECONDS - start)) s"; \
	  exit $$status

# For make test (Makefile, TEST_SUITES): two lanes. One is integration's three workers; the other runs the VM
# scenario (one core of QEMU for most of its run), then the container scenarios one at a time (-j1). Integration's
# workers mostly wait on agents and polls, and the second lane ends well before them, so the container scenarios
# no longer add their own wall time after integration (13 min when they ran four at a time on their own).
.PHONY: integration-and-molecule molecule-beside-integration
integration-and-molecule: venv collection-link docker-up sandbox-emulator mirror-up vm-tools
	@$(MAKE) --no-print-directory -k -j2 --output-sync=target integration molecule-beside-integration

molecule-beside-integration:
	@$(MAKE) --no-print-directory -k -j1 $(addprefix molecule-,$(filter vm,$(MOLECULE_SCENARIOS)) \
	  $(filter-out vm,$(MOLECULE_SCENARIOS)))
