"""Enrollment on sandbox hosts: the fleet playbooks' wall time on 1, 3 and 6 fresh hosts, a no-change
re-run (its changed count must be 0), agent_update and drain_and_deregister, the bytes the package mirror
served for each run, and the controller's CPU and memory for the largest register."""
import json
import subprocess
import sys

from bench.common import BIN, REPO, WORK, Background, free_port, log, measure, start_emulator, start_service
from tests.sandbox import settings
from tests.sandbox.fleet import Fleet
from tests.sandbox.mirror.layout import versions
from test_playbooks_harness import CLUSTER, playbook_env, recap, write_inventory  # pylint: disable=import-error

FLEET = "bench"


def start_mirror(gateway):
    port = free_port()
    access_log = WORK / ("mirror-access-%d.log" % port)
    proc = Background("mirror-%d" % port, [sys.executable, "-m", "tests.sandbox.mirror", "--port", str(port), "--listen", "127.0.0.1",
                                           "--listen", gateway, "--packages", str(settings.PACKAGES), "--access-log", str(access_log)],
                      WORK, "http://127.0.0.1:%d/_mirror/health" % port)
    proc.host_url, proc.access_log = "http://%s:%d" % (gateway, port), access_log
    return proc


def access_records(mirror):
    if not mirror.access_log.exists():
        return []
    return [json.loads(line) for line in mirror.access_log.read_text().splitlines() if line.strip()]


def mirror_cost(records):
    """Bytes served in one run against the ideal: every distinct file once (a controller-side cache or a
    proxy on site would do that), not once per host."""
    files = {}
    for rec in records:
        if rec["method"] == "GET" and rec["status"] == 200:
            files[rec["path"]] = max(files.get(rec["path"], 0), rec["bytes"])
    served = sum(rec["bytes"] for rec in records)
    distinct = sum(files.values())
    return {"requests": len(records), "bytes_served": served, "distinct_files": len(files), "distinct_bytes": distinct,
            "ratio": round(served / float(distinct), 2) if distinct else None,
            "files": {path: {"size": size, "downloads": sum(1 for r in records if r["path"] == path and r["bytes"])}
                      for path, size in sorted(files.items())}}


def failed_tasks(stdout):
    """The first line of each failure ansible printed, so the report says what broke without the log."""
    return "; ".join(sorted(set(line[:300] for line in stdout.splitlines() if line.startswith("fatal: ")))) or "no task failed"


class Runner:
    """Runs the collection's playbooks on the bench fleet and records one row per run."""

    def __init__(self, emulator, mirror, gateway):
        self.emulator, self.mirror, self.gateway = emulator, mirror, gateway
        self.runs, self.failures, self.findings = [], [], []
        self.inventory = None

    def fresh_hosts(self, fleet, count):
        fleet.down()
        hosts = fleet.up(count, "bookworm")
        self.inventory = write_inventory(WORK / "inventory.yml", hosts, self.emulator, self.mirror, self.gateway)
        return hosts

    def playbook(self, name, label, hosts, *args):
        seen = len(access_records(self.mirror))
        cmd = [str(BIN / "ansible-playbook"), "hybridfleet.ecs_anywhere.%s" % name, "-i", self.inventory] + list(args)
        result = measure(cmd, playbook_env(self.emulator))
        counts = recap(result["stdout"])
        log_file = WORK / ("%02d-%s-%dhosts.log" % (len(self.runs) + 1, name, len(hosts)))
        log_file.write_text(result["stdout"])
        row = {"name": label, "playbook": name, "hosts": len(hosts), "rc": result["rc"], "seconds": result["seconds"],
               "changed": sum(c.get("changed", 0) for c in counts.values()), "recap": counts,
               "mirror": mirror_cost(access_records(self.mirror)[seen:]),
               "controller": {k: result[k] for k in ("cpu_seconds", "peak_rss_mib", "peak_tree_rss_mib", "rss_method")}}
        self.runs.append(row)
        log("%-28s %d hosts rc=%d %7.1fs changed=%d mirror %d bytes (ideal %d)" % (
            label, row["hosts"], row["rc"], row["seconds"], row["changed"], row["mirror"]["bytes_served"], row["mirror"]["distinct_bytes"]))
        row["log"] = str(log_file)
        if result["rc"] != 0:
            self.failures.append("%s on %d host(s) exited %d: %s (log: %s)" % (
                label, len(hosts), result["rc"], failed_tasks(result["stdout"]), log_file))
        return row

    def register_fresh(self, fleet, count, *args):
        """register on `count` fresh hosts; a failed run is kept as a finding and tried once more on fresh hosts."""
        for attempt in (1, 2):
            hosts = self.fresh_hosts(fleet, count)
            row = self.playbook("register", "register" if attempt == 1 else "register (second attempt)", hosts, *args)
            if row["rc"] == 0:
                return hosts, row
            row["name"] = "register (failed attempt)"
            self.findings.append(self.failures.pop())
        return hosts, row


def run(counts):
    subprocess.run([str(REPO / "tests" / "sandbox" / "agents" / "build.sh")], check=True)
    ecs_versions = versions(settings.PACKAGES, "amazon-ecs-init", "amd64")
    old, new = ecs_versions[0], ecs_versions[-1]
    gateway = settings.bridge_gateway()
    WORK.mkdir(parents=True, exist_ok=True)
    emulator = start_emulator(listen=gateway, drain_delay=2)
    mirror = start_mirror(gateway)
    fleet = Fleet(FLEET)
    runner = Runner(emulator, mirror, gateway)
    try:
        for count in sorted(counts):
            hosts, last = runner.register_fresh(fleet, count, "-e", "ecs_anywhere_agent_version=%s" % old)
        rerun = runner.playbook("register", "register re-run (no change)", hosts, "-e", "ecs_anywhere_agent_version=%s" % old)
        if rerun["changed"] != 0:
            changed = {h: c["changed"] for h, c in rerun["recap"].items() if c.get("changed")}
            runner.failures.append("the no-change register re-run changed %d thing(s): %s (tasks in %s)" % (
                rerun["changed"], changed, rerun["log"]))
        runner.playbook("agent_update", "agent_update", hosts, "-e", "ecs_anywhere_agent_version=%s" % new)
        start_service(emulator, CLUSTER, len(hosts))
        runner.playbook("drain_and_deregister", "drain_and_deregister", hosts)
    finally:
        fleet.down()
        mirror.stop()
        emulator.proc.stop()
    registers = {r["hosts"]: r["seconds"] for r in runner.runs if r["playbook"] == "register" and r["rc"] == 0 and "re-run" not in r["name"]}
    base = registers.get(min(registers)) if registers else None
    return {"runs": runner.runs, "failures": runner.failures, "findings": runner.findings, "agent_versions": {"from": old, "to": new},
            "scaling": {str(k): round(v / base, 2) for k, v in registers.items()} if base else {},
            "controller": dict(last["controller"], hosts=last["hosts"])}
