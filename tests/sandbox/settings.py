"""Where the sandbox's pieces live and how hosts and roles reach them: one place for paths, ports
and the role variables that point the collection at the mirror, the test key and the emulator."""
import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
STATE = Path(os.environ.get("SANDBOX_DIR", REPO / ".sandbox"))
PACKAGES = STATE / "packages"
REGION = os.environ.get("SANDBOX_REGION", "us-east-1")
EMULATOR_PORT = int(os.environ.get("EMULATOR_PORT", "4566"))
MIRROR_PORT = int(os.environ.get("MIRROR_PORT", "4580"))
SIGNING_KEY = PACKAGES / "test-signing-key.gpg"
SIGNING_FINGERPRINT = PACKAGES / "test-signing-key.fingerprint"


def bridge_gateway():
    """The Docker bridge's gateway: the address hosts use to reach services on this machine."""
    try:
        out = subprocess.run(["docker", "network", "inspect", "bridge", "-f",
                              "{{(index .IPAM.Config 0).Gateway}}"],
                             check=True, text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        return out.strip() or "172.17.0.1"
    except (OSError, subprocess.CalledProcessError):
        return "172.17.0.1"


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
        "ANSIBLE_HOST_KEY_CHECKING": "False",
    }
    lines = ["# Written by `make sandbox-up`; source it: . .sandbox/env"]
    lines += ["export %s=%s" % (k, json.dumps(v)) for k, v in values.items()]
    return "\n".join(lines) + "\n"
