"""The fleet_status playbook on an emulated fleet: summary, JSON and HTML reports, and the page rendered in Chromium."""
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from sandbox_fixtures import wait_until

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
CHROMIUM = Path("/usr/bin/chromium")


def agent_call(emulator, target, body):
    """What the SSM agent sends (JSON 1.1, unsigned): how a real host registers and heartbeats."""
    req = urllib.request.Request(emulator.url + "/", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


def enroll_silent_host(emulator, iam_role, cluster, computer_name, agent_version):
    """A host registered in SSM and ECS whose ECS agent never connected (it registered, then went quiet)."""
    activation = emulator.client("ssm").create_activation(IamRole=iam_role, RegistrationLimit=1)
    instance_id = agent_call(emulator, "AmazonSSM.RegisterManagedInstance", {
        "ActivationId": activation["ActivationId"], "ActivationCode": activation["ActivationCode"],
        "PublicKey": "AAAA", "PublicKeyType": "Rsa", "Fingerprint": "fp"})["InstanceId"]
    agent_call(emulator, "AmazonSSM.UpdateInstanceInformation", {
        "InstanceId": instance_id, "ComputerName": computer_name, "IPAddress": "192.0.2.50", "AgentVersion": "3.3.1957.0",
        "PlatformType": "Linux", "PlatformName": "Debian GNU/Linux", "PlatformVersion": "12"})
    emulator.client("ecs").register_container_instance(
        cluster=cluster, instanceIdentityDocument=json.dumps({"instanceId": instance_id}),
        totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": 1024}, {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048}],
        versionInfo={"agentVersion": agent_version, "agentHash": "0000000", "dockerVersion": "DockerVersion: 25.0.5"})
    return instance_id


@pytest.fixture
def varied_fleet(emulator, iam_role):
    """alpha 30 + beta 20 seeded hosts, one deregistered from ECS, one draining, one silent host on an old agent."""
    alpha, beta = emulator.seed("alpha", 30), emulator.seed("beta", 20)
    ecs = emulator.client("ecs")
    ecs.deregister_container_instance(cluster="alpha", containerInstance=alpha["container_instance_arns"][0], force=True)
    ecs.update_container_instances_state(cluster="beta", containerInstances=[beta["container_instance_arns"][1]], status="DRAINING")
    # 1.90.0 is older than 1.104.0 although it sorts after it as text: the report must compare versions.
    enroll_silent_host(emulator, iam_role, "beta", "edge-silent", "1.90.0")
    return {"alpha": alpha, "beta": beta}


def expected_figures(emulator):
    """The figures the report must show, read from the ECS and SSM APIs directly."""
    ecs, ssm = emulator.client("ecs"), emulator.client("ssm")
    instances = []
    for cluster in ("alpha", "beta"):
        arns = ecs.list_container_instances(cluster=cluster, maxResults=100)["containerInstanceArns"]
        for ci in ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"]:
            instances.append(dict(ci, cluster=cluster))
    managed = [i for page in ssm.get_paginator("describe_instance_information").paginate() for i in page["InstanceInformationList"]]
    versions = {}
    for ci in instances:
        versions[ci["versionInfo"]["agentVersion"]] = versions.get(ci["versionInfo"]["agentVersion"], 0) + 1
    by_status = {}
    for ci in instances:
        by_status[ci["status"]] = by_status.get(ci["status"], 0) + 1
    newest = max(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
    return {
        "hosts": len(managed),
        "in_ecs": len(instances),
        "by_cluster": {c: sum(1 for ci in instances if ci["cluster"] == c) for c in ("alpha", "beta")},
        "by_status": by_status,
        "versions": versions,
        "newest": newest,
        "behind": sum(n for v, n in versions.items() if v != newest),
        "disconnected": sorted(ci["ec2InstanceId"] for ci in instances if not ci["agentConnected"]),
    }


def run_report(emulator, tmp_path, inventory_options=None, extra=()):
    inventory = tmp_path / "demo.fleet.yml"
    inventory.write_text(yaml.safe_dump(dict({"plugin": "hybridfleet.ecs_anywhere.fleet", "regions": ["us-east-1"],
                                              "clusters": ["alpha", "beta"]}, **(inventory_options or {}))))
    report_dir = tmp_path / "report"
    env = emulator.env()
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "hybridfleet.ecs_anywhere.fleet_status", "-i", str(inventory),
                           "-e", f"fleet_status_report_dir={report_dir}"] + list(extra),
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    return proc, report_dir


def test_fleet_status_writes_summary_json_and_html_with_the_fleet_figures(emulator, varied_fleet, tmp_path):
    expected = expected_figures(emulator)
    proc, report_dir = run_report(emulator, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    report = json.loads((report_dir / "fleet-status.json").read_text())
    totals = report["totals"]
    assert totals["hosts"] == expected["hosts"] == 51
    assert totals["in_ecs"] == expected["in_ecs"] and totals["not_in_ecs"] == expected["hosts"] - expected["in_ecs"] == 1
    assert report["by_cluster"] == dict(expected["by_cluster"], **{"(not in ECS)": 1})
    assert report["by_ecs_status"] == dict(expected["by_status"], NOT_IN_ECS=1)
    assert report["by_ping_status"] == {"Online": expected["hosts"]}
    assert report["newest_ecs_agent_version"] == expected["newest"]
    assert [v["version"] for v in report["by_ecs_agent_version"]] == sorted(expected["versions"], key=lambda v: tuple(map(int, v.split("."))))
    assert {v["version"]: v["count"] for v in report["by_ecs_agent_version"]} == expected["versions"]
    assert report["agent_disconnected"] == ["edge-silent"] and totals["agent_disconnected"] == len(expected["disconnected"]) == 1
    assert totals["behind_newest_agent"] == len(report["behind_newest_agent"]) == expected["behind"]
    assert "edge-silent" in report["behind_newest_agent"]
    assert len(report["hosts"]) == expected["hosts"]
    silent = next(h for h in report["hosts"] if h["name"] == "edge-silent")
    assert silent["instance_id"] == expected["disconnected"][0] and silent["agent_connected"] is False

    out = proc.stdout
    assert f"Fleet of {expected['hosts']} hosts ({expected['in_ecs']} in ECS, 1 not in ECS)" in out
    assert "By cluster: (not in ECS)=1, alpha={alpha}, beta={beta}".format(**expected["by_cluster"]) in out
    assert "ECS agent disconnected: 1 - edge-silent" in out
    assert f"Behind the newest ECS agent ({expected['newest']}): {expected['behind']}" in out
    for version, count in expected["versions"].items():
        assert f"{version}={count}" in out

    html = (report_dir / "fleet-status.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the page must not load anything from the network"
    assert f'id="total-hosts">{expected["hosts"]}<' in html
    assert html.count('<rect class="bar') == len(expected["versions"])


def running_tasks(ecs, cluster):
    arns = ecs.list_tasks(cluster=cluster, desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
    return [t for t in tasks if t["lastStatus"] == "RUNNING"]


def test_fleet_status_shows_what_runs_on_each_host_at_a_few_calls_per_cluster(emulator, varied_fleet, tmp_path):
    ecs = emulator.client("ecs")
    ecs.register_task_definition(family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": "web", "image": "nginx:1.27", "cpu": 128, "memory": 64}])
    ecs.create_service(cluster="alpha", serviceName="web", taskDefinition="web", desiredCount=4, launchType="EXTERNAL")
    wait_until("4 web tasks running", lambda: len(running_tasks(ecs, "alpha")) == 4, timeout=60)
    tasks = running_tasks(ecs, "alpha")
    placed = ecs.describe_container_instances(cluster="alpha", containerInstances=sorted({t["containerInstanceArn"] for t in tasks}))
    host_of = {ci["containerInstanceArn"]: ci["ec2InstanceId"] for ci in placed["containerInstances"]}
    expected = {}
    for t in tasks:
        expected.setdefault(host_of[t["containerInstanceArn"]], []).append(t["taskArn"].rsplit("/", 1)[-1])

    emulator.reset_stats()
    proc, report_dir = run_report(emulator, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = emulator.stats()["calls"]
    # Per cluster, not per host: alpha one ListTasks and one DescribeTasks, beta (no task) one ListTasks; the host
    # lookup is one DescribeContainerInstances beside the inventory's one per cluster.
    assert (calls.get("ecs:ListTasks"), calls.get("ecs:DescribeTasks"), calls.get("ecs:DescribeContainerInstances")) == (2, 1, 3)

    report = json.loads((report_dir / "fleet-status.json").read_text())
    assert report["tasks_read"] is True and report["tasks_errors"] == []
    assert report["by_service"] == {"web": {"tasks": 4, "running": 4, "hosts": len(expected)}}
    assert report["totals"]["tasks"] == report["totals"]["tasks_running"] == 4
    shown = {h["instance_id"]: sorted(t["task_id"] for t in h["tasks"]) for h in report["hosts"] if h["tasks"]}
    assert shown == {mi: sorted(ids) for mi, ids in expected.items()}
    assert all(h["services"] == ["web"] and {t["task_definition"] for t in h["tasks"]} == {"web:1"}
               for h in report["hosts"] if h["tasks"])
    assert "Tasks: 4 (4 running) - web=4 on %d host" % len(expected) in proc.stdout
    html = (report_dir / "fleet-status.html").read_text()
    assert "<tr><td>web</td><td>4</td><td>4</td><td>%d</td></tr>" % len(expected) in html

    # Unreachable ECS for the task reads: the report is still written, and says which cluster it could not read.
    (tmp_path / "unreachable").mkdir()
    cut, cut_dir = run_report(emulator, tmp_path / "unreachable", extra=["-e", "fleet_status_endpoint_url=http://127.0.0.1:9"])
    assert cut.returncode == 0, cut.stdout + cut.stderr
    assert "Tasks not read for cluster alpha in us-east-1: " in cut.stdout and "Tasks not read for cluster beta" in cut.stdout
    cut_report = json.loads((cut_dir / "fleet-status.json").read_text())
    assert [e["cluster"] for e in cut_report["tasks_errors"]] == ["alpha", "beta"] and cut_report["totals"]["hosts"] == 51

    (tmp_path / "off").mkdir()
    emulator.reset_stats()
    off, _off_dir = run_report(emulator, tmp_path / "off", extra=["-e", "fleet_status_include_tasks=false"])
    assert off.returncode == 0 and "Tasks: not read (fleet_status_include_tasks is false" in off.stdout
    assert emulator.calls("ecs:ListTasks") == 0


def test_fleet_status_page_renders_rows_and_chart_in_headless_chromium(emulator, varied_fleet, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail("headless Chromium is needed to check the report page: run `make report-prereqs` (apt-get install chromium)")
    expected = expected_figures(emulator)
    proc, report_dir = run_report(emulator, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (report_dir / "fleet-status.html").as_uri()
    chromium = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1400,1000"]

    dom = subprocess.run(chromium + ["--dump-dom", page], capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = dom.stdout
    # Rows exist only once the script ran: the served page has a placeholder row instead.
    rows = re.findall(r'<tr class="host-row[^"]*" data-instance-id="(mi-[0-9a-f]+)">', rendered)
    assert len(rows) == expected["hosts"]
    assert f'data-rendered-rows="{expected["hosts"]}"' in rendered
    assert f'{expected["hosts"]} of {expected["hosts"]} hosts shown' in rendered
    # Problems first: the disconnected host leads the table, marked as such.
    assert rows[0] == expected["disconnected"][0]
    assert re.search(r'<tr class="host-row disconnected behind" data-instance-id="%s">' % rows[0], rendered)
    bars = dict(re.findall(r'<rect class="bar[^"]*" data-version="([^"]+)" data-count="(\d+)"', rendered))
    assert {v: int(n) for v, n in bars.items()} == expected["versions"]
    assert re.search(r'<rect class="bar newest" data-version="%s"' % re.escape(expected["newest"]), rendered)

    shot = tmp_path / "report.png"
    subprocess.run(chromium + [f"--screenshot={shot}", page], capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10000


def test_fleet_status_without_fleet_hosts_says_what_to_do(emulator, tmp_path):
    emulator.seed("alpha", 2)
    emulator.seed("beta", 1)
    proc, report_dir = run_report(emulator, tmp_path, extra=["-e", "fleet_status_hosts=ecs_cluster_gamma"])
    assert proc.returncode != 0
    assert "No host matching 'ecs_cluster_gamma' has ssm_* variables" in proc.stdout
    assert not report_dir.exists()
