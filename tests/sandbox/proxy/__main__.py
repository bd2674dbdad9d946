"""CLI of the sandbox's forward proxy (see __init__.py); used by mk/proxy.mk."""
import argparse
import os
import sys

from tests.sandbox import proxy
from tests.sandbox.proxy.network import ProxiedNetwork
from tests.sandbox.settings import REPO


def shown(path):
    return os.path.relpath(path, REPO) if str(path).startswith(str(REPO) + os.sep) else str(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description="the sandbox's forward proxy and its proxied network")
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--network", required=True, help="Docker network of the proxied hosts")
    parser.add_argument("--port", type=int, default=proxy.DEFAULT_PORT)
    args = parser.parse_args(argv)
    if args.action == "up":
        network, running = proxy.up(args.network, args.port)
        print("proxy: squid at %s for Docker network %s (%s), its only way out"
              % (running.plain_url, network.name, network.subnet))
        print("proxy: user %s, password in %s (root only)"
              % (running.user, shown(running.directory / "credentials.json")))
        print("proxy: access log %s" % shown(running.access_log))
    elif args.action == "down":
        try:
            proxy.down(args.network)
        except RuntimeError as err:
            sys.exit("proxy: %s" % err)
        print("proxy: %s removed" % args.network)
    else:
        running = proxy.running(args.network)
        network = ProxiedNetwork(args.network)
        print("proxy: %s" % ("running at %s (pid %d)" % (running.plain_url, running.pid()) if running
                             else "not running"))
        if network.exists():
            print("proxy: network %s, guard %s, hosts: %s" % (network.name, "on" if network.guarded() else "OFF",
                                                            ", ".join(network.attached()) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
