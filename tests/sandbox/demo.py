"""`make demo`: the collection's main job in the local sandbox, start to finish.

Runs after `make sandbox-up N=3` (emulated AWS control plane, package mirror, stand-in agent
packages, three Debian systemd hosts; `.sandbox/env` and `.sandbox/inventory.yml` written):

  1. register              enroll the three hosts (cluster, IAM role, one short-lived activation,
                           Docker + SSM agent + ECS agent, verify, delete the activation)
  2. fleet                 what ECS and SSM now show
  3. agent_update          roll the ECS agent to the newer stand-in version, one host per batch
  4. deploy                run a small EXTERNAL service with the deploy playbook: tasks land on the hosts
  5. drain_and_deregister  take one host out: its tasks move to the others
  6. fleet                 what ECS and SSM show now

Each step runs the same command a user would type; the full output of each playbook goes to
.sandbox/demo-<step>.log and the console shows its progress lines and summary table.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.sandbox import settings

REPO = settings.REPO
CLUSTER = "hybrid-cluster"
ROLE = "ecsAnywhereRole"
SERVICE = "demo-web"
MANAGED_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
TRUST_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
# Lines of ansible-playbook output worth showing live (the log has everything).
SHOW = re.compile(r"^(PLAY \[|FAILED - RETRYING|ASYNC (POLL|OK|FAILED)|fatal:|\[ERROR\])")


class DemoError(Exception):
    pass


def step(number, title):
    print("\n== step %s: %s" % (number, title), flush=True)


def say(text):
    print("   " + text, flush=True)


def read_env_file(path, environ=None):
    """The variables `. .sandbox/env` would export, `${VAR}` expanded as the shell does (PATH)."""
    environ = dict(os.environ if environ is None else environ)
    values = {}
    for line in Path(path).read_text().splitlines():
        match = re.match(r"^export ([A-Z_][A-Z0-9_]*)=(.*)$", line)
        if match:
            value = re.sub(r"\$\{([A-Z_][A-Z0-9_]*)\}", lambda m: environ.get(m.group(1), ""),
                           json.loads(match.group(2)))
            values[match.group(1)] = environ[match.group(1)] = value
    return values


def sandbox_up(hosts):
    """`make sandbox-up N=hosts` when no sandbox runs (the Makefile's `demo` target normally did it)."""
    say("$ make sandbox-up N=%d" % hosts)
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")  # AWS's managed IAM policies, as AWS has them
    proc = subprocess.run(["make", "--no-print-directory", "sandbox-up", "N=%d" % hosts], cwd=REPO, env=env)
    if proc.returncode != 0:
        raise DemoError("`make sandbox-up N=%d` failed" % hosts)


def inventory_path():
    """The inventory `make sandbox-up` wrote: SANDBOX_INVENTORY in .sandbox/env, else the fleet's file."""
    env_file = settings.STATE / "env"
    if env_file.exists():
        named = read_env_file(env_file).get("SANDBOX_INVENTORY")
        if named:
            return Path(named)
    from tests.sandbox.fleet import DEFAULT_FLEET, Fleet
    return Fleet(os.environ.get("FLEET") or DEFAULT_FLEET).inventory_path()


def sandbox_running():
    inventory = inventory_path()
    if not (settings.STATE / "env").exists() or not inventory.exists():
        return False
    import yaml
    groups = (yaml.safe_load(inventory.read_text()) or {}).get("all", {}).get("children", {})
    return bool((groups.get("ecs_anywhere") or {}).get("hosts"))


def sandbox_env():
    env_file = settings.STATE / "env"
    if not env_file.exists() or not inventory_path().exists():
        raise DemoError("no sandbox: run `make sandbox-up N=3` first (`make demo` does it for you)")
    env = dict(os.environ)
    env.update(read_env_file(env_file))
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_PIPELINING="True", ANSIBLE_STDOUT_CALLBACK="default")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def clients(env):
    import boto3
    kwargs = dict(region_name=env["AWS_DEFAULT_REGION"], endpoint_url=env["AWS_ENDPOINT_URL"],
                  aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    return boto3.client("ecs", **kwargs), boto3.client("ssm", **kwargs), boto3.client("iam", **kwargs)


def playbook(name, env, inventory, log_name, *args):
    """Run `ansible-playbook hybridfleet.ecs_anywhere.NAME`; show progress and the summary table."""
    cmd = ["ansible-playbook", "hybridfleet.ecs_anywhere.%s" % name, "-i", str(inventory)] + list(args)
    log = settings.STATE / ("demo-%s.log" % log_name)
    shown = " ".join(cmd).replace(str(REPO) + "/", "")
    say("$ %s" % shown)
    say("  (full output: %s)" % log.relative_to(REPO) if log.is_relative_to(REPO) else log)
    started = time.monotonic()
    in_summary = False
    with open(log, "w") as handle:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            handle.write(line)
            text = line.rstrip("\n")
            if text.startswith("TASK [Summary of"):
                in_summary = True
                continue
            if in_summary:
                # The table: one JSON string per line inside the debug output.
                match = re.match(r'^\s+"(.*)",?$', text)
                if match:
                    say("  " + json.loads('"%s"' % match.group(1)))
                elif text.startswith("TASK [") or text.startswith("PLAY RECAP"):
                    in_summary = False
                continue
            if SHOW.match(text.strip()):
                say("  " + text.strip()[:150])
        rc = proc.wait()
    say("  -> %s in %.0f s" % ("ok" if rc == 0 else "FAILED (rc=%d)" % rc, time.monotonic() - started))
    if rc != 0:
        raise DemoError("%s failed; see %s" % (name, log))


def container_instances(ecs):
    try:
        arns = ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"]
    except ecs.exceptions.ClusterNotFoundException:
        return []
    return ecs.describe_container_instances(cluster=CLUSTER, containerInstances=arns)["containerInstances"] if arns else []


def show_fleet(ecs, ssm, hostnames):
    instances = container_instances(ecs)
    managed = {i["InstanceId"]: i for i in ssm.describe_instance_information()["InstanceInformationList"]}
    say("%-16s %-21s %-9s %-9s %-7s %-6s %s" % ("HOST", "MANAGED INSTANCE", "STATUS", "CONNECTED", "AGENT", "TASKS",
                                               "SSM PING"))
    for ci in sorted(instances, key=lambda c: managed.get(c["ec2InstanceId"], {}).get("ComputerName", "")):
        mi = managed.get(ci["ec2InstanceId"], {})
        say("%-16s %-21s %-9s %-9s %-7s %-6s %s" % (
            mi.get("ComputerName", "?"), ci["ec2InstanceId"], ci["status"], ci["agentConnected"],
            ci["versionInfo"].get("agentVersion"), ci["runningTasksCount"], mi.get("PingStatus", "-")))
    enrolled = {managed.get(ci["ec2InstanceId"], {}).get("ComputerName") for ci in instances}
    for name in hostnames:
        if name not in enrolled:
            say("%-16s (not enrolled)" % name)
    return instances


def tasks_by_host(ecs, ssm):
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE, desiredStatus="RUNNING")["taskArns"]
    if not arns:
        return {}
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]
    cis = ecs.describe_container_instances(cluster=CLUSTER, containerInstances=list({t["containerInstanceArn"] for t in tasks}))
    to_mi = {c["containerInstanceArn"]: c["ec2InstanceId"] for c in cis["containerInstances"]}
    names = {i["InstanceId"]: i["ComputerName"] for i in ssm.describe_instance_information()["InstanceInformationList"]}
    placed = {}
    for task in tasks:
        host = names.get(to_mi.get(task["containerInstanceArn"]), task["containerInstanceArn"].rsplit("/", 1)[-1])
        placed.setdefault(host, []).append(task["taskArn"].rsplit("/", 1)[-1][:8])
    return placed


def wait_for(what, probe, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(1)
    raise DemoError("timed out after %d s waiting for %s" % (timeout, what))


def deploy_service(env, inventory, desired):
    """The deploy playbook, as a user runs it: task definition, EXTERNAL service, wait, which host runs what."""
    settings_file = settings.STATE / "demo-service.json"
    settings_file.write_text(json.dumps({
        "ecs_anywhere_deploy_name": SERVICE, "ecs_anywhere_deploy_desired_count": desired,
        "ecs_anywhere_deploy_containers": [{"name": "web", "image": "public.ecr.aws/nginx/nginx:stable", "cpu": 128, "memory": 64,
                                           "portMappings": [{"containerPort": 80, "hostPort": 0}]}]}, indent=2) + "\n")
    shown = settings_file.relative_to(REPO) if settings_file.is_relative_to(REPO) else settings_file
    playbook("deploy", env, inventory, "4-deploy", "-e", "@%s" % shown)


def ensure_role_without_managed_policies(iam):
    """register creates the role with AWS's managed policies; an emulator without them needs help."""
    try:
        iam.get_policy(PolicyArn=MANAGED_POLICY)
        return []
    except iam.exceptions.NoSuchEntityException:
        pass
    try:
        iam.get_role(RoleName=ROLE)
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    say("note: this emulator has no AWS managed IAM policies, so the demo created the role %s itself" % ROLE)
    say("      and runs register with ecs_anywhere_create_iam_role=false (on AWS, register creates it)")
    return ["-e", "ecs_anywhere_create_iam_role=false"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drain-host", help="inventory name of the host to take out (default: one running tasks)")
    parser.add_argument("--hosts", type=int, default=3, help="hosts to start when no sandbox runs yet")
    parser.add_argument("--endpoint", help="ignored: the endpoint comes from .sandbox/env")
    args = parser.parse_args(argv)
    try:
        if not sandbox_running():
            step(0, "bring the sandbox up: emulated AWS, package mirror, %d Debian hosts" % args.hosts)
            sandbox_up(args.hosts)
        env = sandbox_env()
        inventory = inventory_path()
        import yaml
        hosts = list(yaml.safe_load(inventory.read_text())["all"]["children"]["ecs_anywhere"]["hosts"])
        if not hosts:
            raise DemoError("the sandbox inventory has no hosts: run `make sandbox-up N=3`")
        from tests.sandbox.mirror.layout import versions
        ecs_versions = versions(settings.PACKAGES, "amazon-ecs-init", "amd64")
        old, new = ecs_versions[0], ecs_versions[-1]
        ecs, ssm, iam = clients(env)
        print("ECS Anywhere in the local sandbox: %d hosts (%s), emulated AWS at %s"
              % (len(hosts), ", ".join(hosts), env["AWS_ENDPOINT_URL"]), flush=True)

        # register pins the ECS agent version on every target; on a second demo run the fleet already
        # runs the newer one (the roles never downgrade), so keep it.
        current = {ci["versionInfo"].get("agentVersion") for ci in container_instances(ecs)}
        pinned = new if new.rsplit("-", 1)[0] in current else old
        step(1, "register: enroll every host (ECS agent %s)" % pinned)
        extra = ensure_role_without_managed_policies(iam)
        playbook("register", env, inventory, "1-register", "-e", "ecs_anywhere_agent_version=%s" % pinned, *extra)

        step(2, "the fleet as ECS and SSM see it")
        show_fleet(ecs, ssm, hosts)

        step(3, "agent_update: roll amazon-ecs-init to %s, 25%% of the fleet per batch" % new)
        playbook("agent_update", env, inventory, "3-agent-update", "-e", "ecs_anywhere_agent_version=%s" % new)

        step(4, "deploy: a small EXTERNAL service, its tasks run on the hosts")
        deploy_service(env, inventory, desired=len(hosts))
        placed = tasks_by_host(ecs, ssm)

        victim = args.drain_host or next((h for h in hosts if h in placed), hosts[0])
        step(5, "drain_and_deregister %s: its tasks move to the other hosts" % victim)
        playbook("drain_and_deregister", env, inventory, "5-drain", "--limit", victim)
        moved = wait_for("the service's tasks to run elsewhere",
                         lambda: (lambda p: p if victim not in p and sum(map(len, p.values())) >= len(hosts) else None)(
                             tasks_by_host(ecs, ssm)))
        for host, tasks in sorted(moved.items()):
            say("  %-16s runs %s" % (host, ", ".join(tasks)))

        step(6, "the fleet now")
        show_fleet(ecs, ssm, hosts)
    except DemoError as err:
        print("\ndemo failed: %s" % err, file=sys.stderr, flush=True)
        return 1
    print(explore_text(inventory, hosts, victim, new, extra), flush=True)
    return 0


def make_overrides():
    """The make variables this sandbox was started with, where they differ from the defaults."""
    defaults = {"FLEET": "sandbox", "EMULATOR_PORT": "4566", "MIRROR_PORT": "4580"}
    shown = ["%s=%s" % (name, os.environ[name]) for name in defaults
             if os.environ.get(name) and os.environ[name] != defaults[name]]
    if settings.STATE != REPO / ".sandbox":
        shown.append("SANDBOX=%s" % settings.STATE)
    return "".join(" " + item for item in shown)


def explore_text(inventory, hosts, victim, version, extra):
    """What the user may type next; every line runs as printed from the checkout (test_demo.py runs them)."""
    def rel(path):
        return os.path.relpath(path, REPO)
    # The fleet runs `version` now; register keeps an enrolled host's agent, so pin what it runs.
    register = " ".join(["ansible-playbook hybridfleet.ecs_anywhere.register -i", rel(inventory), "-e",
                         "ecs_anywhere_agent_version=%s" % version] + list(extra))
    lines = [
        (". %s" % rel(settings.STATE / "env"), "AWS_* for the emulator, the venv on PATH, ANSIBLE_COLLECTIONS_PATH"),
        ("ansible -i %s ecs_anywhere -m ping" % rel(inventory), "every host answers"),
        (register, "re-enrolls %s" % victim),
        ("python -c 'import boto3; print(boto3.client(\"ecs\").list_container_instances(cluster=\"%s\"))'"
         % CLUSTER, "ECS as boto3 sees it"),
        ("docker exec -it %s bash" % hosts[0], "a shell on a host (they are containers: docker ps)"),
        ("ls %s" % rel(settings.STATE / "demo-*.log"), "each playbook's full output"),
    ]
    width = max(len(command) for command, _ in lines if len(command) <= 60)
    text = ["", "Done. Explore the sandbox (it keeps running):"]
    text += ["  %-*s  # %s" % (width, command, why) for command, why in lines]
    text += ["Tear it down with:", "  make sandbox-down%s" % make_overrides()]
    return "\n".join(text)


if __name__ == "__main__":
    sys.exit(main())
