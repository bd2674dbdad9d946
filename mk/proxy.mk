# Hosts behind a forward proxy (tests/sandbox/proxy, tests/sandbox/README.md "Proxied hosts"):
# Debian's squid on this machine, with BasicAuth, as the only way out of an internal Docker network.
#   make proxy-up                       squid + the network hf-<fleet>-proxied and its guard
#   make hosts-up N=2 NETWORK=proxied   hosts on that network (proxy-up first, by itself)
#   make proxy-down                     after hosts-down (sandbox-down does both)

PROXY_PORT    ?= 3128
PROXY_NETWORK ?= hf-$(or $(FLEET),sandbox)-proxied

.PHONY: proxy-up proxy-down proxy-status

proxy-up: docker-up venv  ## squid (BasicAuth, access log) and an internal Docker network whose only way out it is
	@$(PYTHON) -m tests.sandbox.proxy up --network $(PROXY_NETWORK) --port $(PROXY_PORT)

proxy-down:  ## stop the proxy, lift its guard, remove its network (its hosts first: hosts-down)
	@$(PYTHON) -m tests.sandbox.proxy down --network $(PROXY_NETWORK)

proxy-status:  ## whether the proxy runs, its guard, the hosts on its network
	@$(PYTHON) -m tests.sandbox.proxy status --network $(PROXY_NETWORK)
