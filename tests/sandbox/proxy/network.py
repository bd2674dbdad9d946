"""A Docker network whose hosts can get out only through the sandbox's forward proxy.

`docker network create --internal` alone is not enough with Debian's docker.io 20.10: it drops only
forwarded traffic, and its hosts still get a default route to the bridge, so they reach every service
of this machine (the emulator on the Docker bridge address, the mirror) through the INPUT chain. The
guard closes that: from the network's bridge, this machine accepts only replies to connections it
opened (SSH from the controller) and new connections to the proxy's own address and port; everything
else, to this machine or beyond, is rejected at once (a refused connection, not a hang).
Rules are tied to the bridge's own name, so removing them never touches anyone else's.
"""
import hashlib
import json
import shlex
import subprocess

from tests.sandbox.settings import bridge_address_from

LABEL = "io.hybridfleet.sandbox.network"
# FORWARD's hook for user rules; dockerd creates it and never flushes it.
FORWARD_CHAIN = "DOCKER-USER"


def _run(argv, check=True):
    return subprocess.run(argv, check=check, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _iptables(*args, check=True):
    # -w: dockerd edits the same tables; wait for the lock instead of failing.
    return _run(["iptables", "-w", "10"] + list(args), check=check)


class ProxiedNetwork:
    """An internal Docker network (created on demand) and the guard that leaves the proxy as its only exit."""

    def __init__(self, name):
        self.name = name
        digest = hashlib.sha1(name.encode()).hexdigest()[:10]
        self.bridge = "hfpx-" + digest  # Linux interface names stop at 15 characters
        self.chain = "HFPX-" + digest

    def exists(self):
        return _run(["docker", "network", "inspect", self.name], check=False).returncode == 0

    def create(self):
        if not self.exists():
            _run(["docker", "network", "create", "--internal", "--label", "%s=%s" % (LABEL, self.name),
                  "-o", "com.docker.network.bridge.name=%s" % self.bridge, self.name])
        return self

    def _info(self):
        return json.loads(_run(["docker", "network", "inspect", self.name]).stdout)[0]

    @property
    def gateway(self):
        """This machine's address on the network: where its hosts find the proxy."""
        return bridge_address_from(self._info())

    @property
    def subnet(self):
        return self._info()["IPAM"]["Config"][0]["Subnet"]

    def attached(self):
        """Names of the containers on the network."""
        return sorted(c["Name"] for c in (self._info().get("Containers") or {}).values())

    def guard(self, address, port):
        """Reject everything from the network but replies and TCP to address:port (the proxy)."""
        self.unguard()
        _iptables("-N", self.chain)
        _iptables("-A", self.chain, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN")
        _iptables("-A", self.chain, "-p", "tcp", "-d", address, "--dport", str(port), "-j", "RETURN")
        _iptables("-A", self.chain, "-j", "REJECT", "--reject-with", "icmp-host-prohibited")
        _iptables("-I", "INPUT", "-i", self.bridge, "-j", self.chain)
        # Forwarded traffic is dropped by Docker already; reject it so a missed proxy fails fast too.
        _iptables("-I", FORWARD_CHAIN, "-i", self.bridge, "!", "-o", self.bridge,
                  "-j", "REJECT", "--reject-with", "icmp-host-prohibited")

    def guarded(self):
        return _iptables("-S", self.chain, check=False).returncode == 0

    def unguard(self):
        for chain in ("INPUT", FORWARD_CHAIN):
            listed = _iptables("-S", chain, check=False).stdout.splitlines()
            for rule in listed:
                words = shlex.split(rule)
                if words[:2] == ["-A", chain] and self.bridge in words:
                    _iptables("-D", *words[1:])
        if self.guarded():
            _iptables("-F", self.chain)
            _iptables("-X", self.chain)

    def remove(self):
        """Remove the guard and the network (its hosts must be gone first)."""
        self.unguard()
        if self.exists():
            left = self.attached()
            if left:
                raise RuntimeError("hosts still run on %s: %s (make hosts-down first)" % (self.name, ", ".join(left)))
            _run(["docker", "network", "rm", self.name])
