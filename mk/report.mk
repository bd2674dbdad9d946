# Fleet status report: headless Chromium renders the HTML report in tests/integration/test_fleet_status.py.
#   make report-prereqs            install Debian's chromium when /usr/bin/chromium is missing
#   make report-test               the inventory and report tests (unit + emulator + Chromium)

CHROMIUM := /usr/bin/chromium

.PHONY: report-prereqs report-test

report-prereqs:  ## install headless Chromium (Debian package chromium) for the report rendering test
	@if [ -x $(CHROMIUM) ]; then \
	  echo "chromium: $$($(CHROMIUM) --version 2>/dev/null)"; \
	else \
	  if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -q; \
	  fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	fi

report-test: venv collection-link report-prereqs  ## fleet inventory and fleet_status report tests
	$(PYTEST) -q tests/unit/test_inventory_*.py tests/unit/test_fleet_report*.py \
	  tests/integration/test_inventory_*.py tests/integration/test_fleet_status*.py $(PYTEST_ARGS)
