"""Every module and the `fleet` inventory against an emulator that throttles 30% of AWS calls and delays each by 200 ms.

The same scenario runs twice against a wiped emulator: once clean (the baseline call count per
operation) and once with the faults on. The faulted run must return the same results, and the
emulator's stats must show the retries (more requests than the clean run for the same work).
A fixed seed keeps the throttling sequence reproducible.
"""
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")
CLUSTER = "throttled"
FAULTS = {"throttle_rate": 0.3, "latency_ms": 200, "seed": 8}
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _prepare(emulator):
    """A wiped emulator with the IAM role, 3 seeded hosts in CLUSTER; stats zeroed (setup is not what we measure)."""
    emulator.reset()
    emulator.client("iam").create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=json.dumps(TRUST))
    seeded = emulator.seed(CLUSTER, 3)
    emulator.reset_stats()
    return seeded


def _modules(play, seeded):
    mids, arns = seeded["managed_instance_ids"], seeded["container_instance_arns"]
    return play(
        {"ecs_cluster": {"name": CLUSTER, "container_insights": "enabled"}},
        {"ssm_activation": {"iam_role": "ecsAnywhereRole", "registration_limit": 2, "expiration": "1h",
                            "default_instance_name": "throttled", "tags": {"run": "throttle"}}, "no_log": True},
        {"ssm_activation_info": {"tags": {"run": "throttle"}}},
        {"ssm_managed_instance_info": {"tags": {"seeded-cluster": CLUSTER}}},
        {"ssm_managed_instance": {"instance_id": mids[0], "tags": {"seeded-cluster": CLUSTER, "site": "edge-7"}}},
        {"ecs_container_instance_info": {"cluster": CLUSTER, "filter": "attribute:ecs.os-type == linux"}},
        {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": [arns[1]], "state": "draining", "wait": True,
                                    "poll_interval": 1, "wait_timeout": 60, "attributes": {"site": "edge-7"}}},
        {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": [arns[1]], "state": "active"}},
        {"ssm_activation": {"state": "absent", "tags": {"run": "throttle"}}},
        timeout=600,
    )


def _inventory(emulator, tmp_path):
    source = tmp_path / "throttled.fleet.yml"
    source.write_text(yaml.safe_dump({"plugin": "hybridfleet.ecs_anywhere.fleet", "regions": ["us-east-1"], "clusters": [CLUSTER],
                                      "endpoint_url": emulator.url, "include_ssm_tags": True}))
    env = emulator.env()
    env.update(ANSIBLE_INVENTORY_UNPARSED_FAILED="1", AWS_EC2_METADATA_DISABLED="true")
    proc = subprocess.run([ANSIBLE_INVENTORY, "-i", str(source), "--list"], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _plain(value):
    """ansible-inventory marks untrusted strings as {'__ansible_unsafe': value}."""
    return value["__ansible_unsafe"] if isinstance(value, dict) else value


def _summary(results, inventory, seeded):
    """What the user gets from the run, reduced to what must not depend on throttling."""
    cluster, created, act_info, mi_info, mi_tags, ci_info, drained, activated, deleted = results
    hostvars = inventory["_meta"]["hostvars"]
    # Ids differ between the two seeded fleets: compare positions in the seeded lists instead.
    mi_index = {mi: i for i, mi in enumerate(seeded["managed_instance_ids"])}
    arn_index = {arn: i for i, arn in enumerate(seeded["container_instance_arns"])}
    return {
        "cluster": (cluster["cluster"]["status"], cluster["cluster"]["settings"]),
        "activation": (created["changed"], created["activation"]["registration_limit"], bool(created["activation"]["id"])),
        "activation_info": [a["id"] == created["activation"]["id"] for a in act_info["activations"]],
        "managed_instances": sorted(mi_index[i["instance_id"]] for i in mi_info["instances"]),
        "managed_instance_tags": (mi_tags["changed"], mi_tags["instance"]["tags"]),
        "container_instances": sorted(arn_index[c["container_instance_arn"]] for c in ci_info["container_instances"]),
        "drained": (drained["changed"], [(c["status"], c["attributes"].get("site")) for c in drained["container_instances"]]),
        "activated": (activated["changed"], [c["status"] for c in activated["container_instances"]]),
        "deleted": [a["id"] == created["activation"]["id"] for a in deleted["deleted_activations"]],
        "inventory_hosts": sorted(mi_index[_plain(h["ssm_instance_id"])] for h in hostvars.values()),
        "inventory_tag_keys": sorted(key for h in hostvars.values() for key in h["ssm_tags"]),
    }


def test_modules_and_inventory_survive_30pct_throttling_and_200ms_latency(play, emulator, tmp_path):
    seeded = _prepare(emulator)
    clean = _summary(_modules(play, seeded), _inventory(emulator, tmp_path), seeded)
    clean_calls = emulator.stats()["calls"]

    seeded = _prepare(emulator)
    emulator.faults(**FAULTS)
    assert emulator._call("GET", "/_emulator/faults")["throttle_rate"] == 0.3
    start = time.monotonic()
    faulted = _summary(_modules(play, seeded), _inventory(emulator, tmp_path), seeded)
    seconds = time.monotonic() - start
    faulted_calls = emulator.stats()["calls"]
    emulator.faults()

    # Same answers as without faults, and they are the right answers.
    assert faulted == clean
    assert faulted["cluster"][0] == "ACTIVE"
    assert faulted["activation"] == (True, 2, True) and faulted["activation_info"] == [True] and faulted["deleted"] == [True]
    assert faulted["managed_instances"] == [0, 1, 2]
    assert faulted["managed_instance_tags"] == (True, {"seeded-cluster": CLUSTER, "site": "edge-7"})
    assert faulted["container_instances"] == [0, 1, 2]
    assert faulted["drained"] == (True, [("DRAINING", "edge-7")]) and faulted["activated"] == (True, ["ACTIVE"])
    assert faulted["inventory_hosts"] == [0, 1, 2]
    assert faulted["inventory_tag_keys"] == ["seeded-cluster"] * 3 + ["site"]  # tag:GetResources, retried too
    # Nothing was left behind by a retried write: the one activation is deleted, no duplicate created.
    report = [a for a in emulator.activations()["activations"] if a["ActivationId"] != seeded["activation_id"]]
    assert [(a["DefaultInstanceName"], a["Deleted"]) for a in report] == [("throttled", True)]

    # The retries are visible in the emulator's stats: the same work took more requests.
    retried = {op: faulted_calls[op] - clean_calls.get(op, 0) for op in faulted_calls if faulted_calls[op] > clean_calls.get(op, 0)}
    print("\nclean calls:   %s\nfaulted calls: %s\nextra (retries): %s\nfaulted run: %.1f s"
          % (json.dumps(clean_calls), json.dumps(faulted_calls), json.dumps(retried), seconds))
    assert set(faulted_calls) == set(clean_calls)
    assert all(faulted_calls[op] >= clean_calls[op] for op in clean_calls), (clean_calls, faulted_calls)
    extra = sum(retried.values())
    # 30% throttling means about 0.3/0.7 = 43% extra requests; a third of that is a safe lower bound.
    assert extra >= 0.14 * sum(clean_calls.values()), (clean_calls, faulted_calls)
