"""The fleet_status report logic on a hand-written inventory: no AWS, no emulator.

The figures come from a Jinja template, so they are checked by running the playbook on host variables shaped like
the fleet inventory's (ssm_*, ecs_*), including the cases a seeded fleet does not produce.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
COLLECTIONS = REPO / ".build" / "collections"


def host(instance_id, cluster=None, status="ACTIVE", connected=True, version=None, ping="Online"):
    hv = {"ssm_instance_id": instance_id, "ssm_ping_status": ping, "ssm_ip_address": "192.0.2.1", "ssm_computer_name": instance_id,
          "ssm_region": "eu-west-1", "ssm_agent_running_version": "3.3.1957.0", "ansible_connection": "local"}
    if cluster:
        hv.update(ecs_cluster=cluster, ecs_status=status, ecs_agent_connected=connected, ecs_agent_running_version=version,
                  ecs_running_tasks_count=1, ecs_pending_tasks_count=0)
    return hv


HOSTS = {
    "a1": host("mi-00000000000000a1", "edge-prod", version="1.104.0"),
    "a2": host("mi-00000000000000a2", "edge-prod", version="1.99.3"),   # older, though "1.99.3" > "1.104.0" as text
    "a3": host("mi-00000000000000a3", "edge-prod", version="1.104.0", connected=False, status="DRAINING"),
    "b1": host("mi-00000000000000b1", "edge-canary", version="1.104.0", ping="ConnectionLost"),
    "lonely": host("mi-0000000000000001"),                               # registered in SSM, not in ECS
}


def run(tmp_path, *extra, name="fleet-status"):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": HOSTS, "children": {"static": {"hosts": {"not-fleet": {}}}}}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    # No task reads: they would call ECS (tests/integration/test_fleet_status.py reads them from the emulator).
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "hybridfleet.ecs_anywhere.fleet_status", "-i", str(inventory),
                           "-e", f"fleet_status_report_dir={tmp_path / 'out'}", "-e", "fleet_status_include_tasks=false"] + list(extra),
                          env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((tmp_path / "out" / f"{name}.json").read_text()), proc.stdout


def test_figures_versions_and_problem_lists(tmp_path):
    report, out = run(tmp_path)
    assert report["totals"] == {"hosts": 5, "in_ecs": 4, "not_in_ecs": 1, "agent_disconnected": 1, "behind_newest_agent": 1,
                                "tasks": 0, "tasks_running": 0}
    assert report["tasks_read"] is False and report["by_service"] == {} and "Tasks: not read" in out
    assert report["by_cluster"] == {"edge-prod": 3, "edge-canary": 1, "(not in ECS)": 1}
    assert report["by_ecs_status"] == {"ACTIVE": 3, "DRAINING": 1, "NOT_IN_ECS": 1}
    assert report["by_ping_status"] == {"Online": 4, "ConnectionLost": 1}
    assert report["newest_ecs_agent_version"] == "1.104.0"
    assert report["by_ecs_agent_version"] == [{"version": "1.99.3", "count": 1, "newest": False},
                                              {"version": "1.104.0", "count": 3, "newest": True}]
    assert report["agent_disconnected"] == ["a3"] and report["behind_newest_agent"] == ["a2"]
    assert [h["name"] for h in report["hosts"]] == ["a1", "a2", "a3", "b1", "lonely"]  # hosts without ssm_* are not fleet hosts
    lonely = report["hosts"][-1]
    assert lonely["cluster"] is None and lonely["ecs_status"] == "NOT_IN_ECS" and lonely["agent_connected"] is None
    assert "Behind the newest ECS agent (1.104.0): 1 - a2" in out
    assert "By ECS agent version: 1.99.3=1, 1.104.0=3 (newest)" in out


def test_hosts_pattern_limits_the_report(tmp_path):
    report = run(tmp_path, "-e", "fleet_status_hosts=a?", "-e", "fleet_status_report_name=prod", name="prod")[0]
    assert report["totals"]["hosts"] == 3 and report["hosts_pattern"] == "a?"
    assert (tmp_path / "out" / "prod.html").exists()


def test_markup_in_host_data_cannot_break_the_page(tmp_path):
    HOSTS["a1"]["ssm_computer_name"] = "</script><script>alert(1)</script>"
    try:
        run(tmp_path)
    finally:
        HOSTS["a1"]["ssm_computer_name"] = "a1"
    html = (tmp_path / "out" / "fleet-status.html").read_text()
    assert "</script><script>alert(1)" not in html
