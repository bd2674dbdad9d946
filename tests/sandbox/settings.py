"""Where the sandbox's pieces live and how hosts and roles reach them: one place for paths, ports
and the role variables that point the collection at the mirror, the test key and the emulator."""
import ipaddress
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
STATE = Path(os.environ.get("SANDBOX_DIR", REPO / ".sandbox"))
PACKAGES = STATE / "packages"
# Host image roots (tarballs, VM disks, debootstrap's .debs), keyed by recipe hash and shared by every checkout
# on the machine, as build-image.sh keeps them.
IMAGE_CACHE = Path(os.environ.get("SANDBOX_IMAGE_CACHE")
                   or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hybridfleet-sandbox")
REGION = os.environ.get("SANDBOX_REGION", "us-east-1")
EMULATOR_PORT = int(os.environ.get("EMULATOR_PORT", "4566"))
MIRROR_PORT = int(os.environ.get("MIRROR_PORT", "4580"))
SIGNING_KEY = PACKAGES / "test-signing-key.gpg"
SIGNING_FINGERPRINT = PACKAGES / "test-signing-key.fingerprint"


class NoBridgeError(RuntimeError):
    """No Docker engine answers, so there is no bridge for hosts to reach this machine through."""


def _run(argv):
    return subprocess.run(argv, check=True, text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout


def _interface_address(name):
    """The IPv4 address of a network interface on this machine, or '' when it has none (yet)."""
    try:
        out = _run(["ip", "-4", "-o", "addr", "show", "dev", name])
    except (OSError, subprocess.CalledProcessError):
        return ""
    match = re.search(r"\binet ([0-9.]+)/", out)
    return match.group(1) if match else ""


def bridge_address_from(network, interface_address=_interface_address):
    """How hosts on Docker's default bridge reach this machine, from `docker network inspect bridge`.

    The IPAM Gateway when the engine reports one. Debian's docker.io 20.10 leaves it out on a fresh
    data root (no docker0 before the first start), so then the bridge interface's own address, and
    failing that the subnet's first host address, which is what dockerd gives the bridge.
    """
    config = (network.get("IPAM", {}).get("Config") or [{}])[0]
    if config.get("Gateway"):
        return config["Gateway"].split("/")[0]
    bridge = network.get("Options", {}).get("com.docker.network.bridge.name", "docker0")
    address = interface_address(bridge)
    if address:
        return address
    if config.get("Subnet"):
        return str(next(ipaddress.ip_network(config["Subnet"], strict=False).hosts()))
    raise NoBridgeError("Docker's bridge network has neither a gateway, an interface address nor a subnet: %r" % network)


def bridge_gateway():
    """The address hosts use to reach services on this machine (the Docker bridge's own address)."""
    try:
        networks = json.loads(_run(["docker", "network", "inspect", "bridge"]))
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        raise NoBridgeError("no Docker engine answers (start one with `make docker-up`): %s" % e) from None
    return bridge_address_from(networks[0])


def signing_fingerprints():
    if SIGNING_FINGERPRINT.exists():
        return [SIGNING_FINGERPRINT.read_text().strip()]
    return []


def role_vars(host_side_address=None, emulator_port=EMULATOR_PORT, mirror_port=MIRROR_PORT):
    """Group variables that point the roles at the sandbox, through their ordinary variables only.

    `host_side_address` is how a host reaches this machine (bridge gateway for containers);
    the controller itself talks to the emulator on loopback.
    """
    gw = host_side_address or bridge_gateway()
    emulator_for_hosts = "http://%s:%d" % (gw, emulator_port)
    mirror_for_hosts = "http://%s:%d" % (gw, mirror_port)
    fingerprints = signing_fingerprints()
    return {
        "ecs_anywhere_region": REGION,
        "ecs_anywhere_endpoint_url": "http://127.0.0.1:%d" % emulator_port,
        # Base URLs replace https://s3.REGION.amazonaws.com; the mirror serves the same paths.
        "ssm_agent_package_base_url": mirror_for_hosts,
        "ecs_agent_package_base_url": mirror_for_hosts,
        "ssm_agent_signing_key_path": str(SIGNING_KEY),
        "ssm_agent_signing_key_fingerprints": fingerprints,
        "ecs_agent_signing_key_path": str(SIGNING_KEY),
        "ecs_agent_signing_key_fingerprints": list(fingerprints),
        # ECS Exec's binaries tarball is signed with the SSM agent's key; off unless a play enables it.
        "ecs_agent_exec_signing_key_path": str(SIGNING_KEY),
        "ecs_agent_exec_signing_key_fingerprints": list(fingerprints),
        "ssm_agent_endpoint_url": emulator_for_hosts,
        "ecs_agent_backend_host": emulator_for_hosts,
    }


# The role variables whose URLs are dialled from the hosts (the rest are used on the controller).
HOST_FACING = ("ssm_agent_package_base_url", "ecs_agent_package_base_url", "ssm_agent_endpoint_url",
               "ecs_agent_backend_host")


def host_facing_vars(host_side_address):
    """The host-side URLs for hosts that see this machine at another address (VMs: 10.0.2.2)."""
    values = role_vars(host_side_address)
    return {key: values[key] for key in HOST_FACING}


def env_file_text(inventory=None, emulator_port=EMULATOR_PORT, mirror_port=MIRROR_PORT):
    """Contents of .sandbox/env: what a shell sources to use the sandbox from this machine."""
    values = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:%d" % emulator_port,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "SANDBOX_MIRROR_URL": "http://127.0.0.1:%d" % mirror_port,
        "SANDBOX_HOST_EMULATOR_URL": "http://%s:%d" % (bridge_gateway(), emulator_port),
        "SANDBOX_HOST_MIRROR_URL": "http://%s:%d" % (bridge_gateway(), mirror_port),
        "SANDBOX_SIGNING_KEY": str(SIGNING_KEY),
        "SANDBOX_SIGNING_KEY_FINGERPRINT": ",".join(signing_fingerprints()),
        "SANDBOX_INVENTORY": str(inventory or STATE / "inventory.yml"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".build" / "collections"),
        # ansible-playbook and friends come from the project's venv, as printed by `make sandbox-up`.
        "PATH": "%s:%s" % (REPO / ".venv" / "bin", "${PATH}"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
    }
    lines = ["# Written by `make sandbox-up`; source it: . .sandbox/env"]
    lines += ["export %s=%s" % (k, json.dumps(v)) for k, v in values.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # `python -m tests.sandbox.settings bridge-address`: the Makefile's way to the same answer.
    if sys.argv[1:] != ["bridge-address"]:
        sys.exit("usage: python -m tests.sandbox.settings bridge-address")
    try:
        print(bridge_gateway())
    except NoBridgeError as e:
        sys.exit("sandbox: %s" % e)
