"""The AWX path: each wrapper playbook of docs/awx/project run through ansible-runner with a private
data directory laid out as AWX lays it (env/envvars with the AWS credential's variables, including
AWS_SECURITY_TOKEN as AWX's AWS credential type injects it; env/extravars; env/ssh_key;
inventory/hosts; project/), against one sandbox host.
"""
import os
import shutil
from pathlib import Path

import pytest
import yaml

from test_playbooks_harness import (  # noqa: F401  (fixtures are used by name)
    activations_report, container_instances, pb_emulator, pb_fleet, sandbox_versions)
from sandbox_fixtures import docker_engine, mirror, sandbox_packages, test_fleet  # noqa: F401
from tests.conftest import COLLECTIONS_ROOT
from tests.sandbox import settings

pytestmark = pytest.mark.hosts
HOST_COUNT = 1
PROJECT = settings.REPO / "docs" / "awx" / "project"


@pytest.fixture(scope="module")
def private_data_dir(pb_fleet, tmp_path_factory):
    """AWX's layout; the machine credential's key goes to env/ssh_key, not into the inventory."""
    hosts, inventory_file = pb_fleet
    root = tmp_path_factory.mktemp("awx-job")
    inventory = yaml.safe_load(Path(inventory_file).read_text())
    group_vars = inventory["all"]["children"]["ecs_anywhere"]["vars"]
    key = Path(group_vars.pop("ansible_ssh_private_key_file"))
    (root / "inventory").mkdir()
    (root / "inventory" / "hosts").write_text(yaml.safe_dump(inventory, sort_keys=False))
    (root / "env").mkdir()
    (root / "env" / "ssh_key").write_text(key.read_text())
    (root / "env" / "envvars").write_text(yaml.safe_dump({
        "AWS_ACCESS_KEY_ID": "AKIAAWXSANDBOX", "AWS_SECRET_ACCESS_KEY": "awx-sandbox-secret",
        "AWS_SECURITY_TOKEN": "awx-sandbox-session-token",
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT), "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_PIPELINING": "True", "ANSIBLE_NOCOLOR": "1"}))
    shutil.copytree(PROJECT, root / "project")
    return root


def run_job(private_data_dir, playbook, extravars, limit=None):
    import ansible_runner
    (private_data_dir / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    env_path = os.environ.get("PATH", "")
    venv_bin = str(Path(os.sys.executable).parent)
    os.environ["PATH"] = venv_bin + os.pathsep + env_path  # ansible-playbook of this venv, as the EE's
    try:
        run = ansible_runner.run(private_data_dir=str(private_data_dir), playbook=playbook, limit=limit,
                                 quiet=True, timeout=900)
    finally:
        os.environ["PATH"] = env_path
    stdout = run.stdout.read()
    return run, stdout


def artifacts_text(private_data_dir):
    return "\n".join(p.read_text(errors="replace") for p in (private_data_dir / "artifacts").rglob("*") if p.is_file())


BASE = {"ecs_anywhere_cluster": "hybrid-cluster", "ecs_anywhere_region": settings.REGION}


def test_register_through_ansible_runner(pb_fleet, pb_emulator, private_data_dir, sandbox_versions):
    (host,), _ = pb_fleet
    run, out = run_job(private_data_dir, "register.yml", dict(BASE, ecs_anywhere_agent_version=sandbox_versions["ecs_old"]))
    assert (run.status, run.rc) == ("successful", 0), out[-5000:]
    (ci,) = container_instances(pb_emulator)
    assert (ci["status"], ci["agentConnected"]) == ("ACTIVE", True)
    assert all(a["Deleted"] for a in activations_report(pb_emulator))
    # The job events AWX stores carry the per-host results.
    assert [e for e in run.events if e.get("event") == "runner_on_ok" and e["event_data"].get("host") == host.name]


def test_agent_update_through_ansible_runner(pb_fleet, pb_emulator, private_data_dir, sandbox_versions):
    run, out = run_job(private_data_dir, "agent_update.yml", dict(BASE, ecs_anywhere_agent_version=sandbox_versions["ecs_new"]))
    assert (run.status, run.rc) == ("successful", 0), out[-5000:]
    (ci,) = container_instances(pb_emulator)
    assert ci["versionInfo"]["agentVersion"] == sandbox_versions["ecs_new"].rsplit("-", 1)[0]


def test_drain_and_deregister_through_ansible_runner(pb_fleet, pb_emulator, private_data_dir):
    (host,), _ = pb_fleet
    run, out = run_job(private_data_dir, "drain_and_deregister.yml", BASE, limit=host.name)
    assert (run.status, run.rc) == ("successful", 0), out[-5000:]
    assert container_instances(pb_emulator) == []
    assert host.exec("test -e /var/lib/amazon/ssm/registration", check=False).returncode != 0


def test_no_secret_in_the_jobs_artifacts(pb_emulator, private_data_dir):
    """The activation codes of every run, and the session token, appear in no artifact (stdout, events)."""
    text = artifacts_text(private_data_dir)
    assert "runner_on_ok" in text  # the events are there to search
    activations = activations_report(pb_emulator)
    assert activations
    for activation in activations:
        assert activation["ActivationCode"] not in text
    # ansible-runner's own `command` artifact records the job's environment (AWX keeps it out of
    # the job output); what the playbooks print and the events must not carry the token.
    shown = "\n".join(p.read_text(errors="replace") for p in (private_data_dir / "artifacts").rglob("*")
                      if p.is_file() and (p.name == "stdout" or p.parent.name == "job_events"))
    assert shown and "awx-sandbox-session-token" not in shown
