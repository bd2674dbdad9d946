"""Shared pieces of the bad-input table: the row type, state snapshots (emulator and host), and runners.

A row names the case, the layer it is exercised at, what it does, and the phrases the failure
message must contain: at least one saying what is wrong and one saying what to do. Every row also
proves that nothing was left behind, by comparing a snapshot of the relevant state before and after.
"""
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.conftest import COLLECTIONS_ROOT, REPO

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")
ROLE = "ecsAnywhereRole"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@dataclass
class Row:
    """One bad input: `wrong` and `todo` are phrases the message must contain (what is wrong / what to do)."""
    id: str
    layer: str
    case: str
    wrong: list
    todo: list
    spec: dict = field(default_factory=dict)
    xfail: str = ""

    def param(self):
        marks = [pytest.mark.xfail(strict=True, reason=self.xfail)] if self.xfail else []
        return pytest.param(self, id=self.id, marks=marks)


def assert_says(message, row):
    """The message names what is wrong and what to do (every phrase of the row, case-insensitive)."""
    text = " ".join(message.split()).lower()  # ansible folds long messages over lines
    missing = [p for p in row.wrong + row.todo if p.lower() not in text]
    assert not missing, "message lacks %r:\n%s" % (missing, message[-4000:])


# --- emulator state ---------------------------------------------------------------------------------------------

def api_state(emulator, regions=("us-east-1",)):
    """Everything a bad input could leave behind in the control plane, comparable before/after a row.

    Undeleted activations (with their registration counts), managed instances, clusters, and every
    cluster's container instances with status and attributes; IAM roles.
    """
    state = {"activations": sorted((a["ActivationId"], a["RegistrationsCount"]) for a in emulator.activations()["activations"]
                                   if not a["Deleted"])}
    for region in regions:
        ssm, ecs = emulator.client("ssm", region), emulator.client("ecs", region)
        state[region + ":managed"] = sorted(i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"])
        clusters = sorted(ecs.list_clusters()["clusterArns"])
        state[region + ":clusters"] = clusters
        for arn in clusters:
            cis = ecs.list_container_instances(cluster=arn)["containerInstanceArns"]
            described = ecs.describe_container_instances(cluster=arn, containerInstances=cis)["containerInstances"] if cis else []
            state[arn] = sorted((c["containerInstanceArn"], c["status"], json.dumps(sorted((a["name"], a.get("value")) for a in c["attributes"])))
                                for c in described)
    state["iam_roles"] = sorted(r["RoleName"] for r in emulator.client("iam").list_roles()["Roles"])
    return state


# --- running playbooks the way users do --------------------------------------------------------------------------

def ansible_env(emulator_url=None, **extra):
    env = dict(os.environ)
    env.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT), "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_PIPELINING": "True", "AWS_EC2_METADATA_DISABLED": "true",
        "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
    })
    env.pop("AWS_ENDPOINT_URL", None)
    if emulator_url:
        env["AWS_ENDPOINT_URL"] = emulator_url
    env.update(extra)
    return env


def run(cmd, env, cwd=REPO, timeout=600):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout + proc.stderr


# --- the role rendering harness of tests/unit/roles, loaded under its own name ---------------------------------

def unit_role_harness():
    """tests/unit/roles/conftest.py as a module (it is a conftest there; here it is a library)."""
    return _unit_roles_module("conftest", "hf_unit_role_harness")


def gpg_keys():
    """tests/unit/roles/gpgkeys.py: throw-away good, expired and revoked OpenPGP keys made with the real gpg."""
    return _unit_roles_module("gpgkeys", "hf_unit_gpgkeys")


def _unit_roles_module(name, as_name):
    spec = importlib.util.spec_from_file_location(as_name, REPO / "tests" / "unit" / "roles" / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- sandbox hosts --------------------------------------------------------------------------------------------------

HOST_PACKAGES = ("amazon-ssm-agent", "amazon-ecs-init", "docker.io")
HOST_FILES = ("/etc/amazon/ssm/amazon-ssm-agent.json", "/var/lib/amazon/ssm/registration", "/var/lib/amazon/ssm/Vault/Store/RegistrationKey",
              "/etc/ecs/ecs.config", "/var/lib/ecs/data/agent.db", "/etc/docker/daemon.json")
HOST_UNITS = ("amazon-ssm-agent", "ecs", "docker")


def host_state(host):
    """Packages installed, agent files present and units active on `host`, in one round trip."""
    script = ("for p in %s; do dpkg-query -W -f='pkg ${Package} ${Status}\\n' $p 2>/dev/null | grep -q 'install ok installed' && echo pkg $p; done; "
              "for f in %s; do test -e $f && echo file $f; done; "
              "for u in %s; do [ \"$(systemctl is-active $u 2>/dev/null)\" = active ] && echo unit $u; done; true"
              % (" ".join(HOST_PACKAGES), " ".join(HOST_FILES), " ".join(HOST_UNITS)))
    found = {"pkg": [], "file": [], "unit": []}
    for line in host.exec(script).stdout.splitlines():
        kind, name = line.split(" ", 1)
        found[kind].append(name)
    return found


class HostRoles:
    """ansible-playbook with the collection's roles against one sandbox host, pointed at an emulator and mirror,
    logged in as the hosts' unprivileged user with no become in the inventory or the play (the roles escalate)."""

    def __init__(self, host, emulator, mirror_proc, gateway, tmp_path):
        from tests.sandbox import settings
        from tests.sandbox.fleet import LOGIN_USER, ssh_key
        self.host, self.emulator, self.tmp = host, emulator, tmp_path
        group_vars = settings.role_vars(host_side_address=gateway, emulator_port=int(emulator.url.rsplit(":", 1)[1]),
                                        mirror_port=int(mirror_proc.host_url.rsplit(":", 1)[1]))
        group_vars.update({
            "ansible_user": LOGIN_USER, "ansible_ssh_private_key_file": str(ssh_key()),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            "ansible_python_interpreter": "/usr/bin/python3",
            # The controller caches verified packages; one cache per row keeps a bad row's download out of the next.
            "ssm_agent_controller_cache_dir": str(tmp_path / "cache"), "ecs_agent_controller_cache_dir": str(tmp_path / "cache"),
        })
        self.inventory = tmp_path / "inventory.yml"
        self.inventory.write_text(yaml.safe_dump({"all": {"hosts": {host.name: {"ansible_host": host.address}}, "vars": group_vars}}))

    def run(self, roles, extra_vars):
        play = [{"name": "Roles", "hosts": "all", "gather_facts": True, "vars": extra_vars,
                 "roles": [{"role": "hybridfleet.ecs_anywhere." + r} for r in roles]}]
        book = self.tmp / "play.yml"
        book.write_text(yaml.safe_dump(play, sort_keys=False))
        return run([ANSIBLE_PLAYBOOK, "-i", str(self.inventory), str(book)], ansible_env(), timeout=600)
