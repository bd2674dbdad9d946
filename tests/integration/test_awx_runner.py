"""The AWX path: each wrapper playbook of docs/awx/project run through ansible-runner with private data
directories laid out as AWX lays them (env/envvars with the AWS credential's variables, including
AWS_SECURITY_TOKEN as AWX's AWS credential type injects it; env/extravars with the survey's answers;
env/ssh_key; inventory/hosts; project/), against three sandbox hosts, as **three concurrent job slices**:
AWX's job slicing runs the same job template once per slice, each knowing nothing of the others, slice i
limited to every third host of the inventory.

The survey answers are the surveys' defaults (docs/awx/surveys), blank optional answers left out as AWX
leaves them out: the cluster and region then come from the inventory, and the job's environment names
another region (as an execution environment may) to show which one wins.
"""
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from test_playbooks_harness import activations_report, container_instances, managed_instances, summary_row
from tests.conftest import COLLECTIONS_ROOT
from tests.sandbox import settings

pytestmark = pytest.mark.hosts
HOST_COUNT = 3
SLICES = 3
AWX = settings.REPO / "docs" / "awx"
ENVIRONMENT_REGION = "eu-west-3"  # what the job's environment says; the inventory says us-east-1
RUNS = {}


def survey_answers(name, **given):
    """The extra vars of a job launched with the survey at its defaults: blank optional answers left out."""
    spec = json.loads((AWX / "surveys" / ("%s.json" % name)).read_text())["spec"]
    answers = {q["variable"]: q["default"] for q in spec if q.get("default") not in ("", None)}
    answers.update(given)
    return answers


@pytest.fixture(scope="module")
def job_layout(pb_fleet, tmp_path_factory):
    """AWX's private data dir layout, as a template each slice's job directory is copied from."""
    hosts, inventory_file = pb_fleet
    root = tmp_path_factory.mktemp("awx-job-template")
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
        "AWS_REGION": ENVIRONMENT_REGION, "AWS_DEFAULT_REGION": ENVIRONMENT_REGION,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT), "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_PIPELINING": "True", "ANSIBLE_NOCOLOR": "1"}))
    shutil.copytree(AWX / "project", root / "project")
    return root, Path(group_vars["ecs_anywhere_report_dir"])


def run_slices(job_layout, hosts, playbook, extravars, tmp_path):
    """One job per slice, all at once (ansible_runner.run_async); returns [(runner, stdout, slice hosts)]."""
    import ansible_runner
    layout, _reports = job_layout
    started = []
    env_path = os.environ.get("PATH", "")
    os.environ["PATH"] = str(Path(os.sys.executable).parent) + os.pathsep + env_path  # this venv's ansible-playbook, as the EE's
    try:
        for index in range(SLICES):
            mine = hosts[index::SLICES]
            job = tmp_path / ("%s-slice-%d" % (playbook.split(".")[0], index + 1))
            shutil.copytree(layout, job)
            (job / "env" / "extravars").write_text(yaml.safe_dump(extravars))
            thread, runner = ansible_runner.run_async(private_data_dir=str(job), playbook=playbook,
                                                      limit=",".join(h.name for h in mine), quiet=True, timeout=1800)
            started.append((thread, runner, mine))
        for thread, _runner, _mine in started:
            thread.join()
    finally:
        os.environ["PATH"] = env_path
    return [(runner, runner.stdout.read(), mine) for _thread, runner, mine in started]


def run_job(playbook, job_layout, hosts, tmp_path, **answers):
    """The job template of `playbook` in SLICES concurrent slices; each must succeed and report its own hosts only.
    The slices' runners are kept in RUNS for the artifacts audit."""
    results = run_slices(job_layout, hosts, playbook + ".yml", survey_answers(playbook, **answers), tmp_path)
    RUNS[playbook] = results
    for runner, out, mine in results:
        assert (runner.status, runner.rc) == ("successful", 0), out[-5000:]
        for host in hosts:
            assert bool(summary_row(out, host.name)) == (host in mine), (host.name, out[-3000:])


def test_register_in_three_concurrent_slices(pb_fleet, pb_emulator, job_layout, sandbox_versions, tmp_path):
    hosts, _ = pb_fleet
    run_job("register", job_layout, hosts, tmp_path, ecs_anywhere_agent_version=sandbox_versions["ecs_old"])
    # Every slice made its own activation, for its own host, tagged with its own run id, and deleted it.
    activations = activations_report(pb_emulator)
    assert sorted((a["RegistrationLimit"], a["RegistrationsCount"], a["Deleted"]) for a in activations) == [(1, 1, True)] * SLICES
    run_ids = {next(t["Value"] for t in a["Tags"] if t["Key"] == "hybridfleet:run-id") for a in activations}
    assert len(run_ids) == SLICES
    # In the inventory's region, not the environment's; each host enrolled exactly once.
    assert sorted(ci["status"] for ci in container_instances(pb_emulator)) == ["ACTIVE"] * len(hosts)
    assert len(managed_instances(pb_emulator)) == len(hosts)
    assert pb_emulator.client("ecs", ENVIRONMENT_REGION).list_clusters()["clusterArns"] == []
    # One report per slice, naming its run id and its host only.
    _layout, reports = job_layout
    written = [json.loads(p.read_text()) for p in reports.glob("register-*.json")]
    assert sorted(r["run_id"] for r in written) == sorted(run_ids)
    assert sorted(tuple(h["host"] for h in r["hosts"]) for r in written) == sorted((h.name,) for h in hosts)


def test_agent_update_in_three_concurrent_slices(pb_fleet, pb_emulator, job_layout, sandbox_versions, tmp_path):
    hosts, _ = pb_fleet
    run_job("agent_update", job_layout, hosts, tmp_path, ecs_anywhere_agent_version=sandbox_versions["ecs_new"])
    new = sandbox_versions["ecs_new"].rsplit("-", 1)[0]
    assert [(ci["agentConnected"], ci["versionInfo"]["agentVersion"]) for ci in container_instances(pb_emulator)] == [(True, new)] * 3


def test_drain_and_deregister_in_three_concurrent_slices(pb_fleet, pb_emulator, job_layout, tmp_path):
    hosts, _ = pb_fleet
    run_job("drain_and_deregister", job_layout, hosts, tmp_path, ecs_anywhere_hosts="ecs_anywhere", ecs_anywhere_poll_interval=2)
    assert container_instances(pb_emulator) == [] and managed_instances(pb_emulator) == []
    for host in hosts:
        assert host.exec("test -e /var/lib/amazon/ssm/registration", check=False).returncode != 0


def test_no_secret_in_the_jobs_artifacts(pb_emulator, tmp_path_factory):
    """The activation codes of every slice, and the session token, appear in no job's artifacts (stdout, events)."""
    jobs = [Path(runner.config.private_data_dir) for results in RUNS.values() for runner, _out, _mine in results]
    assert len(jobs) == 3 * SLICES
    text = "\n".join(p.read_text(errors="replace") for job in jobs for p in (job / "artifacts").rglob("*") if p.is_file())
    assert "runner_on_ok" in text  # the events are there to search
    activations = activations_report(pb_emulator)
    assert len(activations) == SLICES
    for activation in activations:
        assert activation["ActivationCode"] not in text
    # ansible-runner's own `command` artifact records the job's environment (AWX keeps it out of
    # the job output); what the playbooks print and the events must not carry the token.
    shown = "\n".join(p.read_text(errors="replace") for job in jobs for p in (job / "artifacts").rglob("*")
                      if p.is_file() and (p.name == "stdout" or p.parent.name == "job_events"))
    assert shown and "awx-sandbox-session-token" not in shown
