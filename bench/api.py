"""API cost against the emulator: the collection's modules and inventory on seeded fleets, each beside
its lower bound (the fewest calls the API limits allow) and beside the naive script (one call per host)
measured in the same run. Every count comes from the emulator's /_emulator/stats."""
import json
import sys
import time

import yaml

from bench.common import BIN, COLLECTIONS_ROOT, WORK, Counter, log, measure, pages, start_emulator, start_service

CLUSTER = "bench"
DRAIN_COUNT = 100
DRAIN_DELAY = 2  # seconds a DRAINING instance keeps its service tasks (emulator setting)
POLL_INTERVAL = 1
FQCN = "hybridfleet.ecs_anywhere."


def ansible_env(emulator):
    env = emulator.env()
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_INVENTORY_UNPARSED_FAILED="1", AWS_EC2_METADATA_DISABLED="true",
               ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT))
    return env


def run_module(emulator, module, args):
    """One module task in a one-task play, as a user runs it; the result plus process and task timings."""
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": sys.executable},
             "tasks": [{"name": module, FQCN + module: args}]}]
    book = WORK / ("play-%s.yml" % module)
    book.write_text(yaml.safe_dump(play, sort_keys=False))
    run = measure([str(BIN / "ansible-playbook"), "-i", "localhost,", str(book)], ansible_env(emulator))
    try:
        task = json.loads(run["stdout"])["plays"][0]["tasks"][0]
        result = task["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as err:
        raise RuntimeError("%s did not run (rc=%s): %s\n%s" % (module, run["rc"], err, run["stdout"][-3000:])) from err
    if result.get("failed"):
        raise RuntimeError("%s failed: %s" % (module, json.dumps(result)[:3000]))
    return result, {"seconds": run["seconds"], "task_seconds": _duration(task["task"]["duration"])}


def _duration(span):
    def parse(stamp):
        return time.mktime(time.strptime(stamp.split(".")[0], "%Y-%m-%dT%H:%M:%S")) + float("0." + stamp.split(".")[1].rstrip("Z"))
    return round(parse(span["end"]) - parse(span["start"]), 2)


def run_inventory(emulator):
    source = WORK / "bench.fleet.yml"
    source.write_text(yaml.safe_dump({"plugin": FQCN + "fleet", "regions": [emulator.region], "clusters": [CLUSTER]}))
    run = measure([str(BIN / "ansible-inventory"), "-i", str(source), "--list"], ansible_env(emulator))
    if run["rc"] != 0:
        raise RuntimeError("ansible-inventory failed: %s" % run["stdout"][-3000:])
    hosts = len(json.loads(run["stdout"][run["stdout"].index("{"):])["_meta"]["hostvars"])
    return hosts, {"seconds": run["seconds"]}


# --- the naive way: what people script today, one call per host ------------------------------------------
def list_arns(ecs, **kwargs):
    arns = []
    for page in ecs.get_paginator("list_container_instances").paginate(cluster=CLUSTER, **kwargs):
        arns.extend(page["containerInstanceArns"])
    return arns


def naive_ecs_info(emulator, _seed):
    ecs = emulator.client("ecs")
    return [ecs.describe_container_instances(cluster=CLUSTER, containerInstances=[arn])["containerInstances"][0]
            for arn in list_arns(ecs)]


def naive_ssm_info(emulator, seed):
    ssm = emulator.client("ssm")
    return [ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [mi]}])["InstanceInformationList"][0]
            for mi in seed["managed_instance_ids"]]


def naive_inventory(emulator, seed):
    return len(naive_ssm_info(emulator, seed)) + len(naive_ecs_info(emulator, seed))


def naive_drain(emulator, arns):
    """Per host: set DRAINING, then poll that host until its tasks are gone (same poll interval as the module)."""
    ecs = emulator.client("ecs")
    for arn in arns:
        ecs.update_container_instances_state(cluster=CLUSTER, containerInstances=[arn], status="DRAINING")
    busy = list(arns)
    while busy:
        busy = [arn for arn in busy if _tasks(ecs.describe_container_instances(cluster=CLUSTER, containerInstances=[arn])
                                              ["containerInstances"][0])]
        if busy:
            time.sleep(POLL_INTERVAL)


def _tasks(ci):
    return ci["runningTasksCount"] + ci["pendingTasksCount"]


def timed(counter, call, *args):
    counter.start()
    start = time.monotonic()
    value = call(*args)
    seconds = round(time.monotonic() - start, 2)
    return value, counter.stop(), seconds


# --- draining needs tasks to move --------------------------------------------------------------------------
def drain_targets(emulator, seed):
    """100 ACTIVE container instances, first those running the service's tasks, so the wait is real."""
    ecs = emulator.client("ecs")
    draining = list_arns(ecs, status="DRAINING")
    for start in range(0, len(draining), 10):
        ecs.update_container_instances_state(cluster=CLUSTER, containerInstances=draining[start:start + 10], status="ACTIVE")
    deadline = time.monotonic() + 120
    while True:
        task_arns = ecs.list_tasks(cluster=CLUSTER, serviceName="web", desiredStatus="RUNNING")["taskArns"]
        if len(task_arns) >= min(DRAIN_COUNT, len(seed["container_instance_arns"])) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    busy = []
    for start in range(0, len(task_arns), 100):
        busy.extend(t["containerInstanceArn"] for t in ecs.describe_tasks(cluster=CLUSTER, tasks=task_arns[start:start + 100])["tasks"])
    targets = list(dict.fromkeys(busy))
    targets += [arn for arn in seed["container_instance_arns"] if arn not in targets][:DRAIN_COUNT - len(targets)]
    return targets, len(set(busy))


# --- one fleet size ----------------------------------------------------------------------------------------
def bench_size(emulator, size):
    emulator.reset()
    emulator.configure(drain_delay=DRAIN_DELAY)
    seed = emulator.seed(CLUSTER, size, region=emulator.region)
    counter = Counter(emulator)
    rows = []
    ecs_bound = {"ecs:ListContainerInstances": pages(size, 100), "ecs:DescribeContainerInstances": pages(size, 100)}
    ssm_bound = {"ssm:DescribeInstanceInformation": pages(size, 50)}

    def row(name, measured, calls, timing, bound, naive, **extra):
        _value, naive_calls, naive_seconds = naive
        entry = dict({"name": name, "fleet": size, "calls": calls["total"], "calls_by_operation": calls["by_operation"],
                      "lower_bound": sum(bound.values()), "lower_bound_by_operation": bound, "naive_calls": naive_calls["total"],
                      "naive_calls_by_operation": naive_calls["by_operation"], "naive_seconds": naive_seconds,
                      "result_count": measured}, **timing)
        entry.update(extra)
        entry["over_lower_bound"] = entry["calls"] - entry["lower_bound"]
        rows.append(entry)
        log("%5d %-44s calls %6d (bound %5d, naive %s) %6.2fs" % (size, name, entry["calls"], entry["lower_bound"],
                                                                  entry["naive_calls"], timing["seconds"]))

    def module_row(name, module, args, bound, naive, count_key):
        counter.start()
        result, timing = run_module(emulator, module, args)
        calls = counter.stop()
        row(name, len(result[count_key]), calls, timing, bound, naive)

    naive_ecs = timed(counter, naive_ecs_info, emulator, seed)
    module_row("ecs_container_instance_info", "ecs_container_instance_info", {"cluster": CLUSTER}, ecs_bound, naive_ecs,
               "container_instances")
    naive_ssm = timed(counter, naive_ssm_info, emulator, seed)
    # Tags: SSM reads them one instance per call; the Resource Groups Tagging API 100 per call.
    tagged_bound = dict(ssm_bound, **{"tagging:GetResources": pages(size, 100)})
    module_row("ssm_managed_instance_info (default include_tags)", "ssm_managed_instance_info", {}, tagged_bound, naive_ssm,
               "instances")
    module_row("ssm_managed_instance_info include_tags=false", "ssm_managed_instance_info", {"include_tags": False}, ssm_bound,
               naive_ssm, "instances")

    naive_inv = timed(counter, naive_inventory, emulator, seed)
    counter.start()
    hosts, timing = run_inventory(emulator)
    row("fleet inventory (ansible-inventory --list)", hosts, counter.stop(), timing, dict(ssm_bound, **ecs_bound), naive_inv)

    start_service(emulator, CLUSTER, DRAIN_COUNT)
    managed_id = dict(zip(seed["container_instance_arns"], seed["managed_instance_ids"]))
    for by in ("container_instance", "managed_instance_id"):
        targets, busy = drain_targets(emulator, seed)
        ids = targets if by == "container_instance" else [managed_id[arn] for arn in targets]
        counter.start()
        result, timing = run_module(emulator, "ecs_container_instance", {
            "cluster": CLUSTER, by: ids, "state": "draining", "wait": True, "poll_interval": POLL_INTERVAL, "wait_timeout": 300})
        calls = counter.stop()
        rounds = result["waited"]["rounds"]
        bound = {"ecs:UpdateContainerInstancesState": pages(len(targets), 10),  # the API takes 10 ids per call
                 "ecs:DescribeContainerInstances": rounds * pages(len(targets), 100)}
        if by == "managed_instance_id":
            # ECS knows instances by ARN: the mi- ids are found with the cluster query language, `ec2InstanceId in
            # [...]`, 90 ids to a 2,000-character expression, then described, whatever the cluster's size.
            bound = {"ecs:ListContainerInstances": pages(len(targets), 90),
                     "ecs:DescribeContainerInstances": bound["ecs:DescribeContainerInstances"] + pages(len(targets), 100),
                     "ecs:UpdateContainerInstancesState": bound["ecs:UpdateContainerInstancesState"]}
        naive_targets, naive_busy = drain_targets(emulator, seed)
        naive = timed(counter, naive_drain, emulator, naive_targets)
        row("ecs_container_instance drain %d (by %s, wait)" % (len(targets), by), len(result["container_instances"]), calls, timing,
            bound, naive, poll_rounds=rounds, instances_with_tasks=busy, naive_instances_with_tasks=naive_busy)
    return rows


def run(sizes):
    emulator = start_emulator()
    emulator.region = "us-east-1"
    emulator.configure = lambda **values: emulator._call("POST", "/_emulator/config", values)  # pylint: disable=protected-access
    try:
        rows = []
        for size in sizes:
            rows.extend(bench_size(emulator, size))
        return {"rows": rows, "drain_delay_seconds": DRAIN_DELAY, "poll_interval_seconds": POLL_INTERVAL}
    finally:
        emulator.proc.stop()
