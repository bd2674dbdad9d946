"""Hosts behind a forward proxy: an internal Docker network whose only way out is squid on this machine.

    python -m tests.sandbox.proxy up --network NAME [--port 3128]   # network, guard, squid (idempotent)
    python -m tests.sandbox.proxy down --network NAME               # squid, guard, network (hosts first)
    python -m tests.sandbox.proxy status --network NAME

The make targets (proxy-up, proxy-down, hosts-up NETWORK=proxied) and the pytest fixture
`forward_proxy` (tests/integration/sandbox_fixtures.py) both go through `up()` / `down()`.
"""
from tests.sandbox.proxy.network import ProxiedNetwork
from tests.sandbox.proxy.squid import ForwardProxy, ensure_installed
from tests.sandbox.settings import STATE

DEFAULT_PORT = 3128


def directory_for(network_name):
    return STATE / "proxy" / network_name


def running(network_name):
    """The proxy of `network_name` when it runs, else None."""
    directory = directory_for(network_name)
    if not (directory / "proxy.json").exists():
        return None
    proxy = ForwardProxy.load(directory)
    return proxy if proxy.pid() else None


def up(network_name, port=DEFAULT_PORT):
    """The network (created --internal), its guard and its proxy; a running proxy is kept as it is."""
    ensure_installed()
    network = ProxiedNetwork(network_name).create()
    proxy = running(network_name)
    if proxy:
        return network, proxy
    directory = directory_for(network_name)
    password = None
    if (directory / "credentials.json").exists():  # keep the password a user may already have used
        password = ForwardProxy.load(directory).password
    proxy = ForwardProxy(directory, network.gateway, port, password=password)
    network.guard(proxy.address, proxy.port)
    try:
        proxy.start()
    except Exception:
        network.unguard()
        if not network.attached():  # nothing else depends on it: leave no network behind
            network.remove()
        raise
    return network, proxy


def down(network_name, keep_files=False):
    """Stop the proxy, lift the guard, remove the network (refused while hosts run on it)."""
    directory = directory_for(network_name)
    found = ForwardProxy.load(directory) if (directory / "proxy.json").exists() else None
    if found:
        found.stop()
    ProxiedNetwork(network_name).remove()
    if found and not keep_files:
        found.remove_files()
