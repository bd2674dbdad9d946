"""The sandbox fleet end to end, by hand (no roles): a systemd host gets Docker and the stand-in agent
packages from the mirror, registers with an activation made through boto3, and the emulator then
shows what AWS would show. Then the agent's lifecycle: restart, changed cluster, deregistration.
Finally a host on another Debian release does the same.

The tests in this module run in order on one enrolled host (module-scoped fixtures), like an
operator's session; each asserts one observable outcome.
"""
import json
import os
import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from sandbox_fixtures import (
    agent_metadata, ansible_ad_hoc, free_port, install_agents, install_docker, register_ssm, unit_state, wait_until,
    write_ecs_config, write_ssm_config)
from tests.conftest import aws_env
from tests.sandbox import settings
from tests.sandbox.fleet import LOGIN_USER

pytestmark = pytest.mark.hosts

CLUSTER = "hybrid-cluster"
ROLE = "ecsAnywhereRole"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
OTHER_DISTRO = "trixie"


def versions_of(packages, package):
    from tests.sandbox.mirror.layout import versions
    return versions(packages, package, "amd64")


def expected_agent_version(packages, package):
    """The version the mirror serves as `latest` (from the built files, not hard-coded)."""
    return versions_of(packages, package)[-1]


@pytest.fixture(scope="module")
def aws(host_emulator):
    ssm, ecs, iam = (host_emulator.client(s) for s in ("ssm", "ecs", "iam"))
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    ecs.create_cluster(clusterName=CLUSTER)
    return ssm, ecs


def new_activation(ssm, limit=1):
    act = ssm.create_activation(IamRole=ROLE, RegistrationLimit=limit, DefaultInstanceName="sandbox")
    return act["ActivationId"], act["ActivationCode"]


def managed_instance(ssm, instance_id):
    found = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])["InstanceInformationList"]
    return found[0] if found else None


def container_instances(ecs, cluster=CLUSTER):
    arns = ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
    if not arns:
        return []
    return ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"]


def agent_tasks(host):
    return json.loads(host.exec("curl -sf http://localhost:51678/v1/tasks").stdout)["Tasks"]


def stopped_for_good(host, unit):
    """Wait for the unit's final state after its main process exited (not `deactivating`)."""
    return wait_until("%s to stop" % unit, lambda: (lambda s: s if s["ActiveState"] in ("failed", "inactive")
                                                    else None)(unit_state(host, unit)), timeout=30)


def enroll(host, ssm, emulator, mirror_proc):
    """Everything ecs-anywhere-install.sh does on a host, by hand; returns the managed instance id."""
    install_docker(host)
    install_agents(host, mirror_proc.host_url)
    host.exec("systemctl stop amazon-ssm-agent")  # register with the service stopped, as AWS documents
    write_ssm_config(host, emulator.host_url)
    activation_id, code = new_activation(ssm)
    register_ssm(host, activation_id, code)
    host.exec("systemctl start amazon-ssm-agent")
    write_ecs_config(host, CLUSTER, emulator.host_url)
    host.exec("systemctl enable --now ecs")
    registration = json.loads(host.exec("cat /var/lib/amazon/ssm/registration").stdout)
    wait_until("ECS agent registered on %s" % host.name,
               lambda: (agent_metadata(host) or {}).get("ContainerInstanceArn"))
    return registration["ManagedInstanceID"]


@pytest.fixture(scope="module")
def host(test_fleet, aws, host_emulator, mirror):
    (host,) = test_fleet.up(1, "bookworm")
    host.instance_id = enroll(host, aws[0], host_emulator, mirror)
    return host


def test_registration_errors_carry_the_agents_text(test_fleet, aws, host_emulator, mirror, host):
    """Wrong code, exhausted and expired activations fail with a non-zero exit and the real error text;
    `-register -clear` removes a registration."""
    ssm = aws[0]
    activation_id, code = new_activation(ssm, limit=1)
    host.exec("cp -a /var/lib/amazon/ssm /tmp/ssm-backup")  # keep the host's real registration
    try:
        wrong = register_ssm(host, activation_id, code[::-1] + "x", check=False)
        assert wrong.returncode != 0
        assert "Registration failed due to error registering the instance with AWS SSM. InvalidActivation" \
            in wrong.stdout
        # Use up the activation, then try again: the limit is enforced.
        assert register_ssm(host, activation_id, code, check=False).returncode == 0
        exhausted = register_ssm(host, activation_id, code, check=False)
        assert exhausted.returncode != 0
        assert "registration limit" in exhausted.stdout
        # An activation past its expiry date (a few seconds from now, then wait).
        short = ssm.create_activation(IamRole=ROLE, RegistrationLimit=1, ExpirationDate=time.time() + 3)
        time.sleep(4)
        expired = register_ssm(host, short["ActivationId"], short["ActivationCode"], check=False)
        assert expired.returncode != 0
        assert "with AWS SSM. ActivationExpired" in expired.stdout
        # `-register -clear` alone removes the registration, as AWS documents for re-registering.
        cleared = host.exec("amazon-ssm-agent -register -clear", check=False)
        assert cleared.returncode == 0
        assert host.exec("test -e /var/lib/amazon/ssm/registration", check=False).returncode != 0
    finally:
        host.exec("rm -rf /var/lib/amazon/ssm && cp -a /tmp/ssm-backup /var/lib/amazon/ssm")


def test_managed_instance_is_online_with_the_hosts_ip_and_hostname(aws, host, host_emulator, sandbox_packages):
    ssm = aws[0]
    info = wait_until("managed instance heartbeat", lambda: (managed_instance(ssm, host.instance_id) or {})
                      .get("ComputerName") and managed_instance(ssm, host.instance_id))
    assert info["PingStatus"] == "Online"
    assert info["IPAddress"] == host.address
    assert info["ComputerName"] == host.name
    assert info["PlatformName"] == "Debian GNU/Linux"
    assert info["PlatformVersion"] == host.exec(". /etc/os-release; echo $VERSION_ID").stdout.strip()
    assert info["AgentVersion"] == expected_agent_version(sandbox_packages, "amazon-ssm-agent")
    # The SSM agent fetches role credentials and shares them with the ECS agent (profile default).
    assert host_emulator.calls("ssm:RequestManagedInstanceRoleToken") >= 1
    assert "[default]\naws_access_key_id = ASIA" in host.exec("cat /root/.aws/credentials").stdout


def test_container_instance_is_active_connected_with_the_packages_version(aws, host, sandbox_packages):
    ecs = aws[1]
    (instance,) = container_instances(ecs)
    package_version = expected_agent_version(sandbox_packages, "amazon-ecs-init")
    assert instance["ec2InstanceId"] == host.instance_id
    assert instance["status"] == "ACTIVE"
    assert instance["agentConnected"] is True
    assert instance["versionInfo"]["agentVersion"] == package_version.rsplit("-", 1)[0]
    assert instance["versionInfo"]["dockerVersion"].startswith("DockerVersion: ")
    cpus = int(host.exec("nproc").stdout)
    cpu = next(r for r in instance["registeredResources"] if r["name"] == "CPU")
    assert cpu["integerValue"] == cpus * 1024
    attributes = {a["name"]: a.get("value") for a in instance["attributes"]}
    assert "ecs.capability.external" in attributes
    assert attributes["ecs.os-type"] == "linux"
    assert attributes["ecs.cpu-architecture"] == "x86_64"
    assert attributes["sandbox"] == "yes"  # from ECS_INSTANCE_ATTRIBUTES


def test_introspection_endpoint_answers(aws, host):
    (instance,) = container_instances(aws[1])
    meta = agent_metadata(host)
    assert meta["Cluster"] == CLUSTER
    assert meta["ContainerInstanceArn"] == instance["containerInstanceArn"]
    assert meta["Version"].startswith("Amazon ECS Agent - v%s (" % instance["versionInfo"]["agentVersion"])
    assert agent_tasks(host) == []
    # A task the control plane places here shows up in the agent's view, in the real shape.
    ecs = aws[1]
    ecs.register_task_definition(family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": "nginx", "image": "nginx", "memory": 64}])
    (task,) = ecs.run_task(cluster=CLUSTER, taskDefinition="web", launchType="EXTERNAL")["tasks"]
    (seen,) = wait_until("task in /v1/tasks", lambda: agent_tasks(host))
    assert (seen["Arn"], seen["Family"], seen["KnownStatus"]) == (task["taskArn"], "web", "RUNNING")
    assert [c["Name"] for c in seen["Containers"]] == ["nginx"]
    ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
    wait_until("task gone from /v1/tasks", lambda: agent_tasks(host) == [])


def test_restarting_ecs_re_registers_without_a_duplicate(aws, host, host_emulator):
    ecs = aws[1]
    (before,) = container_instances(ecs)
    registrations = host_emulator.calls("ecs:RegisterContainerInstance")
    host.exec("systemctl restart ecs")
    wait_until("re-registration", lambda: host_emulator.calls("ecs:RegisterContainerInstance") > registrations)
    wait_until("agent back", lambda: (agent_metadata(host) or {}).get("ContainerInstanceArn"))
    after = container_instances(ecs)
    assert [i["containerInstanceArn"] for i in after] == [before["containerInstanceArn"]]
    assert after[0]["status"] == "ACTIVE"


def test_a_changed_cluster_is_refused(aws, host):
    ecs = aws[1]
    ecs.create_cluster(clusterName="other-cluster")
    host.exec("sed -i 's/^ECS_CLUSTER=.*/ECS_CLUSTER=other-cluster/' /etc/ecs/ecs.config && systemctl restart ecs")
    state = stopped_for_good(host, "ecs")
    assert state["ExecMainStatus"] == "5"
    journal = host.exec("journalctl -u ecs --no-pager -n 20").stdout
    assert "saved cluster 'hybrid-cluster' does not match configured cluster 'other-cluster'" in journal
    assert container_instances(ecs, "other-cluster") == []
    # Back to the saved cluster: the agent starts and keeps its instance.
    host.exec("sed -i 's/^ECS_CLUSTER=.*/ECS_CLUSTER=%s/' /etc/ecs/ecs.config && systemctl restart ecs" % CLUSTER)
    wait_until("agent back", lambda: (agent_metadata(host) or {}).get("ContainerInstanceArn"))
    assert len(container_instances(ecs)) == 1


def test_deregistering_makes_the_agent_exit_5(aws, host):
    ecs = aws[1]
    (instance,) = container_instances(ecs)
    ecs.deregister_container_instance(cluster=CLUSTER, containerInstance=instance["containerInstanceArn"], force=True)
    state = stopped_for_good(host, "ecs")
    assert state["ExecMainStatus"] == "5"
    assert state["ActiveState"] == "failed"
    # RestartPreventExitStatus=5: systemd does not bring it back.
    assert unit_state(host, "ecs")["NRestarts"] == "0"


def test_a_host_on_another_debian_release_enrolls_too(test_fleet, aws, host_emulator, mirror):
    ssm, ecs = aws
    (other,) = test_fleet.up(1, OTHER_DISTRO)
    codename = other.exec(". /etc/os-release; echo $VERSION_CODENAME").stdout.strip()
    assert codename == OTHER_DISTRO
    instance_id = enroll(other, ssm, host_emulator, mirror)
    info = wait_until("heartbeat from %s" % other.name, lambda: (lambda i: i if i and i.get("ComputerName") else None)(
        managed_instance(ssm, instance_id)))
    assert (info["PingStatus"], info["IPAddress"], info["ComputerName"]) == ("Online", other.address, other.name)
    active = [i for i in container_instances(ecs) if i["ec2InstanceId"] == instance_id]
    assert [(i["status"], i["agentConnected"]) for i in active] == [("ACTIVE", True)]
    # Its own machine-id, not the image's.
    ids = {h.exec("cat /etc/machine-id").stdout.strip() for h in test_fleet.hosts()}
    assert len(ids) == len(test_fleet.hosts())


def test_the_mirror_logged_each_download_with_its_bytes(host, mirror, sandbox_packages):
    """The S3 paths the host fetched, with the bytes served: what benchmarks count per enrollment."""
    records = [json.loads(line) for line in mirror.access_log.read_text().splitlines()]
    served = {r["path"]: r["bytes"] for r in records if r["status"] == 200 and r["method"] == "GET"}
    ssm_version = expected_agent_version(sandbox_packages, "amazon-ssm-agent")
    ecs_version = expected_agent_version(sandbox_packages, "amazon-ecs-init")
    expected = {
        "/amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb":
            sandbox_packages / ("amazon-ssm-agent_%s_amd64.deb" % ssm_version),
        "/amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb.sig":
            sandbox_packages / ("amazon-ssm-agent_%s_amd64.deb.sig" % ssm_version),
        "/amazon-ecs-agent-us-east-1/amazon-ecs-init-latest.amd64.deb":
            sandbox_packages / ("amazon-ecs-init_%s_amd64.deb" % ecs_version),
        "/amazon-ecs-agent-us-east-1/amazon-ecs-init-latest.amd64.deb.asc":
            sandbox_packages / ("amazon-ecs-init_%s_amd64.deb.asc" % ecs_version),
    }
    for path, file in expected.items():
        assert served.get(path) == file.stat().st_size, path
    # Pinned versions have their own paths; unknown keys answer like S3.
    oldest = versions_of(sandbox_packages, "amazon-ssm-agent")[0]
    pinned = host.exec("curl -sf -o /dev/null -w '%%{size_download}' %s/amazon-ssm-eu-west-1/%s/debian_amd64/"
                       "amazon-ssm-agent.deb" % (mirror.host_url, oldest)).stdout
    assert int(pinned) == (sandbox_packages / ("amazon-ssm-agent_%s_amd64.deb" % oldest)).stat().st_size
    missing = host.exec("curl -s -w ' %%{http_code}' %s/amazon-ecs-agent-us-east-1/amazon-ecs-init-0.0.1-1.amd64.deb"
                        % mirror.host_url).stdout
    assert "<Code>NoSuchKey</Code>" in missing and missing.endswith(" 404")


DEBIAN_RELEASE = "http://deb.debian.org/debian/dists/bookworm/Release"


def curl(host, url, *options):
    """(curl's exit code, HTTP status) for `url` fetched on `host`; no proxy unless the options say so."""
    out = host.exec("curl -s -m 10 -o /dev/null -w '%%{http_code}' %s %s; echo \" $?\""
                    % (" ".join(shlex.quote(o) for o in options), shlex.quote(url)), check=False).stdout.split()
    return int(out[-1]), out[0] if len(out) > 1 else ""


def test_a_proxied_host_gets_out_only_through_the_proxy(test_fleet, forward_proxy, host_emulator, mirror):
    """On the proxied network the emulator, the mirror and the Debian archive answer only through the
    proxy, which wants the password (with its `@` and `%`) and logs each request, plain or CONNECT."""
    (proxied,) = test_fleet.up(1, "bookworm", network=forward_proxy.network)
    emulator_url = host_emulator.host_url + "/_emulator/health"
    mirror_url = mirror.host_url + "/_mirror/health"
    assert "@" in forward_proxy.password and "%" in forward_proxy.password
    entry = test_fleet.inventory()["all"]["children"]["ecs_anywhere"]["hosts"][proxied.name]
    assert (entry["ansible_host"], entry["sandbox_network"]) == (proxied.address, forward_proxy.network)
    assert entry["sandbox_proxy_url"] == forward_proxy.plain_url
    # Direct: refused by address (emulator, mirror, the archive's own address), and no outside DNS.
    archive_ip = socket.gethostbyname("deb.debian.org")
    for url, options in ((emulator_url, ()), (mirror_url, ()),
                         (DEBIAN_RELEASE, ("--resolve", "deb.debian.org:80:%s" % archive_ip)), (DEBIAN_RELEASE, ())):
        code, _ = curl(proxied, url, *options)
        assert code != 0, "%s answered directly %s" % (url, options)
    assert proxied.exec("getent hosts deb.debian.org", check=False).returncode != 0
    # Through the proxy: nothing without the right password.
    mark = forward_proxy.log_size()
    assert curl(proxied, emulator_url, "-x", forward_proxy.plain_url) == (0, "407")
    assert curl(proxied, emulator_url, "-x", forward_proxy.url.replace("%40", "%2540", 1)) == (0, "407")
    for url in (emulator_url, mirror_url, DEBIAN_RELEASE):
        assert curl(proxied, url, "-x", forward_proxy.url) == (0, "200"), url
    # CONNECT, as a client reaching AWS's HTTPS endpoints through a proxy does.
    assert curl(proxied, emulator_url, "-p", "-x", forward_proxy.url) == (0, "200")
    # An AWS JSON call: the log names the API (SSM and ECS share the emulator's URL).
    target = "AmazonSSM.DescribeInstanceInformation"
    assert curl(proxied, host_emulator.host_url + "/", "-x", forward_proxy.url, "-H", "X-Amz-Target: " + target,
                "-H", "Content-Type: application/x-amz-json-1.1", "-d", "{}")[0] == 0
    # A call meant for the host's own loopback is not served from this machine's.
    assert curl(proxied, "http://127.0.0.1:%s/_emulator/health" % host_emulator.url.rsplit(":", 1)[1],
                "-x", forward_proxy.url)[1] == "403"
    emulator_host = emulator_url.split("/")[2]

    def logged():
        seen = {(r["method"], r["url"], r["status"], r["user"]) for r in forward_proxy.requests(mark)}
        wanted = {("GET", emulator_url, 200, forward_proxy.user), ("GET", mirror_url, 200, forward_proxy.user),
                  ("GET", DEBIAN_RELEASE, 200, forward_proxy.user), ("CONNECT", emulator_host, 200, forward_proxy.user),
                  ("GET", emulator_url, 407, "-")}
        calls = {r["target"] for r in forward_proxy.requests(mark) if r["method"] == "POST"}
        return wanted <= seen and target in calls and seen
    seen = wait_until("the proxy's log to show each request", logged, timeout=30)
    assert all(client == proxied.address for client in {r["client"] for r in forward_proxy.requests(mark)}), seen
    for log in (forward_proxy.access_log, forward_proxy.cache_log):
        assert forward_proxy.password not in log.read_text()


def test_make_targets_bring_proxied_hosts_up_and_down(tmp_path):
    """`make hosts-up NETWORK=proxied` starts the proxy first; proxy-down waits for the hosts; sandbox-down
    removes hosts, proxy, guard and network. A sandbox of its own (SANDBOX, FLEET, PROXY_PORT)."""
    from tests.sandbox.proxy.network import ProxiedNetwork
    fleet = "mkpx%d" % os.getpid()
    variables = ["SANDBOX=%s" % (tmp_path / "sandbox"), "FLEET=%s" % fleet, "PROXY_PORT=%d" % free_port()]

    def make(*args):
        proc = subprocess.run(["make", "--no-print-directory"] + list(args) + variables, cwd=settings.REPO,
                              capture_output=True, text=True, timeout=600)
        return proc.returncode, proc.stdout + proc.stderr
    network = ProxiedNetwork("hf-%s-proxied" % fleet)
    try:
        code, out = make("hosts-up", "N=1", "NETWORK=proxied")
        assert code == 0 and "proxy: squid at http://%s:" % network.gateway in out, out[-3000:]
        assert network.attached() == ["hf-%s-1" % fleet] and network.guarded()
        code, out = make("proxy-status")
        assert "guard on, hosts: hf-%s-1" % fleet in out, out
        code, out = make("proxy-down")
        assert code != 0 and "make hosts-down first" in out, out
    finally:
        code, out = make("sandbox-down")
    assert code == 0, out[-3000:]
    assert not network.exists() and not network.guarded()
    assert not processes_mentioning(str(tmp_path / "sandbox"))
    assert not processes_mentioning("hybridfleet-proxy-" + network.name)


HOSTS_DIR = settings.REPO / "tests" / "sandbox" / "hosts"


def processes_mentioning(text):
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found


# Alone, as `make test` runs it (its last step, make fresh-start-test): in runs beside it other tests'
# hosts hung or exited at boot (2 runs of 2; none in the run without it; the cause is not settled).
@pytest.mark.skipif(not os.environ.get("SANDBOX_FRESH_START"),
                    reason="the fresh-machine start runs alone: make fresh-start-test (part of make test)")
def test_a_fresh_machine_starts_its_engine_builds_the_image_and_hosts_reach_it(tmp_path):
    """The first start as on a fresh machine: no engine, no docker0, an empty data root, no image.
    The root tarball is this checkout's (debootstrapped here when it has none), then, in
    network and mount namespaces of its own (the machine's engine and docker0 are never touched),
    engine.sh starts dockerd, which creates docker0 itself; the address hosts use is derived from it; the
    image is imported into the empty engine; a host boots and reaches the emulator and the mirror."""
    fresh = tmp_path / "sandbox"
    env = dict(os.environ, SANDBOX_DIR=str(fresh), SANDBOX_IMAGE_CACHE=str(fresh))
    # The root this machine built already, if any (a fresh machine has none and debootstraps it here):
    # debootstrap is minutes of disk and CPU that slow every other test's hosts on a shared machine.
    built = list((settings.IMAGE_CACHE / "images").glob("bookworm-*.tar"))
    (fresh / "images").mkdir(parents=True)
    for tarball in built:
        shutil.copy(tarball, fresh / "images" / tarball.name)
    made = subprocess.run([str(HOSTS_DIR / "build-image.sh"), "bookworm"], env=dict(env, TARBALL_ONLY="1"),
                          capture_output=True, text=True, timeout=1500)
    assert made.returncode == 0, made.stderr[-3000:]
    assert Path(made.stdout.strip().splitlines()[-1]).parent == fresh / "images"
    started = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private", "--fork",
                              str(HOSTS_DIR / "fresh-start.sh")], env=env, capture_output=True, text=True,
                             timeout=900)
    out = started.stdout + started.stderr
    assert started.returncode == 0 and "fresh-start: OK:" in out, out[-5000:]
    assert "engine: starting dockerd (data root %s/docker" % fresh in out
    assert "docker import hybridfleet-sandbox-host:bookworm-" in out
    wait_until("nothing of the fresh engine left running", lambda: not processes_mentioning(str(fresh)), timeout=30)


# (inventory login user, become) -> who the command ran as.
EXPECTED_LOGINS = {("root", False): "root", ("root", True): "root", (LOGIN_USER, False): LOGIN_USER,
                   (LOGIN_USER, True): "root"}


def logins(fleet, host, tmp_path):
    """Who Ansible is on `host` through the fleet's inventory for each login user, without and with become."""
    seen = {}
    for user in ("root", LOGIN_USER):
        inventory = tmp_path / ("inventory-%s.yml" % user)
        inventory.write_text(yaml.safe_dump(fleet.inventory(user)))
        for become in (False, True):
            result = ansible_ad_hoc(inventory, host.name, "command", "id -un", become=become)[host.name]
            assert "| rc=0 |" in result, result
            seen[(user, become)] = result.rsplit(" ", 1)[-1]
    return seen


def test_the_inventory_logs_in_as_root_or_the_unprivileged_user(test_fleet, host, tmp_path):
    """root stays the default; the `ops` inventory logs in unprivileged and is root only through sudo."""
    assert test_fleet.inventory()["all"]["children"]["ecs_anywhere"]["vars"]["ansible_user"] == "root"
    assert logins(test_fleet, host, tmp_path) == EXPECTED_LOGINS


def test_a_non_root_controller_reaches_hosts_and_aws_but_cannot_become_on_itself(nonroot_controller, test_fleet,
                                                                                  host, host_emulator, aws):
    """The operator's laptop: ansible as a user with no sudo rights logs in to hosts as ops with its own copy
    of the key and escalates there; AWS calls from the controller work; `become` on the controller fails."""
    user = nonroot_controller
    env = user.env(aws_env(host_emulator.url))
    assert user.run(["id", "-u"]).stdout.strip() == str(user.uid) != "0"
    assert user.run(["id", "-Gn"]).stdout.split() == [user.name]
    sudo = user.run(["sudo", "-n", "true"])
    assert sudo.returncode != 0 and "password is required" in sudo.stderr, sudo.stderr
    # The implicit localhost, as the playbooks' delegate_to: localhost tasks use it.
    local = (user.write("no-hosts.yml", "all: {}\n"), "localhost", "command", "id -un")
    assert ansible_ad_hoc(*local, env=env, run_as=user)["localhost"].endswith(" " + user.name)
    refused = ansible_ad_hoc(*local, become=True, env=env, run_as=user)["localhost"]
    assert "FAILED" in refused and "sudo" in refused.lower(), refused
    # Its own key copy and the hosts' unprivileged login; escalation happens on the host.
    inventory = user.inventory(test_fleet.inventory(LOGIN_USER))
    assert user.run(["test", "-r", str(inventory)]).returncode == 0
    assert ansible_ad_hoc(inventory, host.name, "command", "id -un", env=env, run_as=user)[host.name].endswith(
        " " + LOGIN_USER)
    assert ansible_ad_hoc(inventory, host.name, "command", "id -un", become=True, env=env,
                          run_as=user)[host.name].endswith(" root")
    # The collection and the emulator, from the user's own environment only.
    found = ansible_ad_hoc(local[0], "localhost", "hybridfleet.ecs_anywhere.ecs_cluster",
                           "name=hybrid-cluster state=present", env=env, run_as=user)["localhost"]
    assert "SUCCESS" in found and "hybrid-cluster" in found, found


@pytest.mark.vm
def test_a_real_kernel_vm_host_boots_with_cgroup_v2_and_apparmor(request, test_fleet, host_emulator, mirror, tmp_path):
    """KIND=vm: Debian's own kernel under QEMU, unlike the containers that share this machine's."""
    markexpr = request.config.getoption("-m") or ""
    if "vm" not in markexpr or "not vm" in markexpr:
        # Several minutes under TCG (image build + boot): only when asked for, and said so in -ra.
        pytest.skip("real-kernel VM test runs only when selected: make test-vm (pytest -m vm)")
    (vm,) = test_fleet.up(1, "bookworm", kind="vm")
    assert vm.exec("uname -r").stdout.strip().endswith("-amd64")
    assert vm.exec("stat -fc %T /sys/fs/cgroup").stdout.strip() == "cgroup2fs"
    assert vm.exec("cat /sys/module/apparmor/parameters/enabled").stdout.strip() == "Y"
    assert vm.exec("systemctl is-system-running --wait", check=False).stdout.strip() in ("running", "degraded")
    assert vm.exec("hostname").stdout.strip() == vm.name
    # The same unprivileged login user with the fleet key and sudo as the container hosts.
    assert logins(test_fleet, vm, tmp_path) == EXPECTED_LOGINS
    # Same inventory format; the VM sees this machine (emulator, mirror) at QEMU's 10.0.2.2.
    entry = test_fleet.inventory()["all"]["children"]["ecs_anywhere"]["hosts"][vm.name]
    assert (entry["ansible_host"], entry["ansible_port"]) == ("127.0.0.1", vm.port)
    assert entry["ecs_agent_backend_host"].startswith("http://10.0.2.2:")
    for url in (host_emulator.url + "/_emulator/health", mirror.host_url + "/_mirror/health"):
        port = url.split(":")[2].split("/")[0]
        path = "/" + url.split("/", 3)[3]
        assert vm.exec("curl -sf -m 10 http://10.0.2.2:%s%s" % (port, path)).returncode == 0


def test_the_mirror_answers_not_modified_as_s3_does(mirror, sandbox_packages):
    """A cached file re-checked with If-Modified-Since costs no bytes; an older copy is sent again."""
    import urllib.error
    import urllib.request
    from email.utils import formatdate
    path = "/amazon-ecs-agent-us-east-1/amazon-ecs-init-latest.amd64.deb"
    url = "http://127.0.0.1:%s%s" % (mirror.host_url.rsplit(":", 1)[1], path)
    with urllib.request.urlopen(url) as resp:
        mtime = resp.headers["Last-Modified"]
        full = len(resp.read())
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(url, headers={"If-Modified-Since": mtime}))
    assert err.value.code == 304
    older = formatdate(0, usegmt=True)
    with urllib.request.urlopen(urllib.request.Request(url, headers={"If-Modified-Since": older})) as resp:
        assert len(resp.read()) == full > 0

    def logged():  # the mirror logs a request after sending it
        lines = [json.loads(line) for line in mirror.access_log.read_text().splitlines() if path in line]
        return [(r["status"], r["bytes"]) for r in lines[-3:]] if len(lines) >= 3 else None
    deadline = time.monotonic() + 10
    while logged() != [(200, full), (304, 0), (200, full)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert logged() == [(200, full), (304, 0), (200, full)]
