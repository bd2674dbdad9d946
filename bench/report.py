"""results.json → results.md: the figures as Markdown tables, each part headed by when and where it ran."""
import json
from pathlib import Path


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return lines


def dirty(changes):
    if not changes:
        return ""
    if changes is True:  # older results recorded only whether there were changes
        return " plus uncommitted changes in plugins/roles/playbooks"
    return " plus uncommitted changes to %s" % ", ".join(line.split()[-1] for line in changes)


def meta_line(meta):
    return ("Run %s on commit %s%s, took %s s, %s CPUs, load average (1/5/15 min) %s at start, %s at end." % (
        meta["date"], meta["commit"], dirty(meta["dirty"]),
        meta.get("seconds", "?"), meta["cpus"],
        "/".join(map(str, meta["load_average_start"])), "/".join(map(str, meta.get("load_average_end", [])))))


def excess(row):
    """Which operations went over their bound, e.g. 'ssm:ListTagsForResource +5000'."""
    over = []
    bound = row["lower_bound_by_operation"]
    for op, calls in row["calls_by_operation"].items():
        if calls > bound.get(op, 0):
            over.append("%s +%d" % (op, calls - bound.get(op, 0)))
    return ", ".join(over)


def api_section(api):
    out = ["## API cost against the emulator", "", meta_line(api["meta"]), "",
           "Calls counted by the emulator (`/_emulator/stats`). *Lower bound*: the fewest calls the API limits allow "
           "(ListContainerInstances and DescribeContainerInstances 100 per call, DescribeInstanceInformation 50, "
           "UpdateContainerInstancesState 10; draining adds one describe per poll round). *Naive*: a boto3 script doing one "
           "describe per host, run in the same bench. Wall is the whole `ansible-playbook` / `ansible-inventory` process "
           "(start-up included); task is the module's own time; naive wall is in-process boto3. Drains wait with "
           "poll_interval %ss, emulator drain delay %ss." % (api["poll_interval_seconds"], api["drain_delay_seconds"]), ""]
    rows = [(r["fleet"], r["name"], r["calls"], r["lower_bound"], r["over_lower_bound"], excess(r), r["naive_calls"],
             r["seconds"], r.get("task_seconds", ""), r["naive_seconds"]) for r in api["rows"]]
    out += table(["fleet", "what", "calls", "lower bound", "over", "over by operation", "naive calls", "wall s", "task s",
                  "naive wall s"], rows)
    over = [r for r in api["rows"] if r["over_lower_bound"] > 0]
    if over:
        out += ["", "Over the lower bound:", ""]
        out += ["- fleet %d, %s: %d calls for a bound of %d (%s)" % (r["fleet"], r["name"], r["calls"], r["lower_bound"], excess(r))
                for r in over]
    return out


def largest(cost):
    if cost.get("rss_method"):
        return "peak RSS of its largest single process %s MiB" % cost["peak_rss_mib"]
    # Runs before bench/rusage.py forked ansible-playbook straight from the bench, whose own peak RSS
    # Linux carries across fork and exec: that figure was the bench's, not ansible's.
    return "largest single process not measured validly in this run (%s MiB is the bench's own peak, inherited " \
        "through fork and exec; measured through bench/rusage.py since)" % cost["peak_rss_mib"]


def hosts_section(hosts):
    out = ["## Enrollment on sandbox hosts", "", meta_line(hosts["meta"]), ""]
    out += table(["run", "hosts", "wall s", "changed", "rc", "mirror bytes served", "per host", "distinct files x size",
                  "bytes / ideal", "requests"],
                 [(r["name"], r["hosts"], r["seconds"], r["changed"], r["rc"], r["mirror"]["bytes_served"],
                   r["mirror"]["bytes_served"] // r["hosts"], r["mirror"]["distinct_bytes"], r["mirror"]["ratio"],
                   r["mirror"]["requests"]) for r in hosts["runs"]])
    out += ["", "Scaling of register wall time against 1 host: %s." % ", ".join(
        "%s hosts x%s" % (k, v) for k, v in sorted(hosts["scaling"].items(), key=lambda kv: int(kv[0])))]
    cost = hosts.get("controller")
    if cost:
        out += ["", "Controller cost of `ansible-playbook` for the %d-host register: %s CPU seconds (user+system, itself and "
                "its forks), peak RSS of the whole process group %s MiB (sampled every 0.25 s), %s." % (
                    cost["hosts"], cost["cpu_seconds"], cost["peak_tree_rss_mib"], largest(cost))]
    if hosts.get("findings"):
        out += ["", "Failed runs that succeeded on a second attempt on fresh hosts:", ""] + ["- " + f for f in hosts["findings"]]
    if hosts.get("failures"):
        out += ["", "**Checks failed:**", ""] + ["- " + f for f in hosts["failures"]]
    return out


def markdown(results):
    out = ["# hybridfleet.ecs_anywhere benchmarks", "", "Written by `make bench` (bench/README.md says how to read it).", ""]
    if "api" in results:
        out += api_section(results["api"]) + [""]
    if "hosts" in results:
        out += hosts_section(results["hosts"]) + [""]
    return "\n".join(out)


def write(results, path):
    path = Path(path)
    path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    path.with_suffix(".md").write_text(markdown(results))
