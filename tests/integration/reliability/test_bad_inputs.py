"""The bad-input table, controller side: modules and the fleet inventory against the emulator, the fleet
playbooks' input checks, and the roles' preflight checks (the role unit harness: fake facts, no host,
because a real host adds nothing to an assert that runs before the host is touched).

Each row fails, with a message that says what is wrong and what to do (phrases per row), and leaves
the control plane exactly as it was (api_state before == after: no activation left undeleted, no
managed or container instance, cluster or IAM role added or changed). Host-level rows are in
test_bad_inputs_hosts.py. docs/reliability.md lists every row with the command that reproduces it.
"""
import json

import pytest
import yaml

from bad_input_fixtures import ANSIBLE_INVENTORY, ANSIBLE_PLAYBOOK, ROLE, TRUST, Row, ansible_env, api_state, assert_says, run, unit_role_harness

CLUSTER = "c1"
UNKNOWN_CI = "0" * 32
UNKNOWN_MI = "mi-0000000000000beef"


@pytest.fixture
def world(emulator):
    """IAM role, cluster c1 with one registered host (ACTIVE), and an EXTERNAL service with one task on it."""
    emulator.client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    seeded = emulator.seed(CLUSTER, 1)
    emulator._call("POST", "/_emulator/config", {"drain_delay": 3600})  # the service task never drains during a row
    ecs = emulator.client("ecs")
    ecs.register_task_definition(family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64, "cpu": 16}])
    ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=1, launchType="EXTERNAL")
    return {"ARN0": seeded["container_instance_arns"][0], "MI0": seeded["managed_instance_ids"][0]}


def _fill(value, names):
    """Replace placeholder strings (ARN0, MI0) in a task spec with the seeded ids."""
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def module_row(id, case, task, wrong, todo, xfail=""):
    return Row(id, "module", case, wrong, todo, {"task": task}, xfail)


MODULE_ROWS = [
    module_row("mod-bad-region", "ssm_activation with region us-east1 (typo)",
               {"ssm_activation": {"iam_role": ROLE, "region": "us-east1"}},
               ["region 'us-east1' is not an AWS region name"], ["set the region option", "Nothing was changed"]),
    module_row("mod-registration-limit-over-1000", "ssm_activation registration_limit 1001",
               {"ssm_activation": {"iam_role": ROLE, "registration_limit": 1001}},
               ["registration_limit must be between 1 and 1000", "got 1001"], ["split more than 1000 hosts over several activations"]),
    module_row("mod-registration-limit-zero", "ssm_activation registration_limit 0",
               {"ssm_activation": {"iam_role": ROLE, "registration_limit": 0}},
               ["registration_limit must be between 1 and 1000", "got 0"], ["give the number of hosts to enroll"]),
    module_row("mod-expiry-over-30-days", "ssm_activation expiration 31d",
               {"ssm_activation": {"iam_role": ROLE, "expiration": "31d"}},
               ["'31d' is more than 30 days away"], ["give 30d or less"]),
    module_row("mod-expiry-in-the-past", "ssm_activation expiration in 2020",
               {"ssm_activation": {"iam_role": ROLE, "expiration": "2020-01-01T00:00:00Z"}},
               ["is not in the future"], ["give a later time or a duration such as 2h"]),
    module_row("mod-expiry-unparseable", "ssm_activation expiration 'soon'",
               {"ssm_activation": {"iam_role": ROLE, "expiration": "soon"}},
               ["expiration 'soon' is neither a duration"], ["such as 90m, 2h, 7d", "2026-12-01T12:00:00Z"]),
    module_row("mod-iam-role-missing", "ssm_activation naming a role that does not exist",
               {"ssm_activation": {"iam_role": "missingRole"}},
               ["IAM role missingRole does not exist", "No activation was created"],
               ["trust policy for ssm.amazonaws.com", "set iam_role to an existing role"]),
    module_row("mod-activation-unknown", "ssm_activation with an activation_id that does not exist",
               {"ssm_activation": {"activation_id": "11111111-2222-3333-4444-555555555555"}},
               ["Activation 11111111-2222-3333-4444-555555555555 does not exist"], ["Omit activation_id to create a new activation"]),
    module_row("mod-activation-delete-unscoped", "ssm_activation state=absent with nothing to select by",
               {"ssm_activation": {"state": "absent"}},
               ["refusing to delete every activation"], ["needs activation_id, or default_instance_name, tags or expired"]),
    module_row("mod-unknown-cluster-info", "ecs_container_instance_info on a cluster that does not exist",
               {"ecs_container_instance_info": {"cluster": "no-such-cluster"}},
               ["ClusterNotFoundException"], ["check the cluster name and region", "create it with hybridfleet.ecs_anywhere.ecs_cluster"]),
    module_row("mod-unknown-cluster-drain", "ecs_container_instance draining in a cluster that does not exist",
               {"ecs_container_instance": {"cluster": "no-such-cluster", "container_instance": ["ARN0"], "state": "draining"}},
               ["ClusterNotFoundException"], ["create it with hybridfleet.ecs_anywhere.ecs_cluster"]),
    module_row("mod-unknown-container-instance", "ecs_container_instance draining a known and an unknown instance (all or nothing)",
               {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": ["ARN0", UNKNOWN_CI], "state": "draining"}},
               ["No container instance %s in cluster c1" % UNKNOWN_CI], ["check the ids", "ecs_container_instance_info"]),
    module_row("mod-unknown-managed-instance-drain", "ecs_container_instance draining by a managed instance id ECS does not know",
               {"ecs_container_instance": {"cluster": CLUSTER, "managed_instance_id": [UNKNOWN_MI], "state": "draining"}},
               [UNKNOWN_MI], ["ecs_container_instance_info"]),
    module_row("mod-malformed-filter", "ecs_container_instance_info filter 'attribute:ecs.os-type =='",
               {"ecs_container_instance_info": {"cluster": CLUSTER, "filter": "attribute:ecs.os-type =="}},
               ["ECS refused the filter expression 'attribute:ecs.os-type =='", "needs exactly one value"],
               ["cluster query language", "attribute:ecs.os-type == linux"]),
    module_row("mod-drain-timeout", "ecs_container_instance draining with wait, a service task that outlives wait_timeout, revert_on_timeout",
               {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": ["ARN0"], "state": "draining", "wait": True,
                                           "wait_timeout": 2, "poll_interval": 1, "revert_on_timeout": True}},
               ["Timed out after 2s waiting for 1 container instance(s) to drain", "set back to ACTIVE"],
               ["deregister with force: true"]),
    module_row("mod-drain-wait-timeout-zero", "ecs_container_instance wait_timeout 0",
               {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": ["ARN0"], "state": "draining", "wait": True, "wait_timeout": 0}},
               ["must be at least 1 second, got 0"], ["set wait_timeout to how long draining may take"]),
    module_row("mod-deregister-with-tasks", "ecs_container_instance deregistered while a service task runs, no wait or force",
               {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": ["ARN0"], "state": "deregistered"}},
               ["tasks still run"], ["wait: true", "force: true"]),
    module_row("mod-reserved-attribute", "ecs_container_instance setting an ecs.* attribute",
               {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": ["ARN0"], "attributes": {"ecs.os-type": "windows"}}},
               ["are set by the ECS agent"], ["cannot be changed"]),
    module_row("mod-empty-cluster-name", "ecs_cluster name ''",
               {"ecs_cluster": {"name": ""}},
               ["name must be an ECS cluster name", "got ''"], ["give the name of the cluster the hosts join"]),
    module_row("mod-invalid-cluster-name", "ecs_cluster name 'bad name!'",
               {"ecs_cluster": {"name": "bad name!"}},
               ["got 'bad name!'", "letters, digits, - and _"], ["such as hybrid-cluster"]),
    module_row("mod-empty-cluster-instances", "ecs_container_instance_info cluster '' (AWS would read the 'default' cluster)",
               {"ecs_container_instance_info": {"cluster": ""}},
               ["cluster must be an ECS cluster name", "got ''"], ["give the name of the cluster the hosts join"]),
    module_row("mod-managed-instance-bad-id", "ssm_managed_instance instance_id i-zzz",
               {"ssm_managed_instance": {"instance_id": "i-zzz", "tags": {"site": "x"}}},
               ["got 'i-zzz'"], ["such as mi-0123456789abcdef0"]),
    module_row("mod-managed-instance-unknown", "ssm_managed_instance tagging an instance SSM does not know",
               {"ssm_managed_instance": {"instance_id": UNKNOWN_MI, "tags": {"site": "x"}}},
               ["%s is not registered in us-east-1" % UNKNOWN_MI], ["register the host with SSM first", "check the region"]),
]


@pytest.mark.parametrize("row", [r.param() for r in MODULE_ROWS])
def test_module_bad_input(row, play, emulator, world):
    before = api_state(emulator)
    task = dict(_fill(row.spec["task"], world), expect_failure=True)
    (result,) = play(task)
    assert_says(result["msg"], row)
    assert api_state(emulator) == before


INVENTORY_ROWS = [
    Row("inventory-bad-region", "inventory", "fleet inventory with regions [us-east1]",
        ["'us-east1' in regions is not an AWS region name"], ["fix regions in the inventory file"],
        {"options": {"regions": ["us-east1"], "clusters": [CLUSTER]}}),
    Row("inventory-unknown-cluster", "inventory", "fleet inventory naming a cluster that does not exist",
        ["cluster 'nope' does not exist in region us-east-1"], ["fix clusters in the inventory file or create the cluster"],
        {"options": {"regions": ["us-east-1"], "clusters": ["nope"]}}),
    Row("inventory-unknown-option", "inventory", "fleet inventory with the typo 'cluster:' for 'clusters:'",
        ["unknown option(s) 'cluster'"], ["did you mean 'clusters'?"], {"options": {"regions": ["us-east-1"], "clusters": [CLUSTER], "cluster": "x"}}),
]


@pytest.mark.parametrize("row", [r.param() for r in INVENTORY_ROWS])
def test_inventory_bad_input(row, emulator, world, tmp_path):
    before = api_state(emulator)
    source = tmp_path / "bad.fleet.yml"
    source.write_text(yaml.safe_dump(dict({"plugin": "hybridfleet.ecs_anywhere.fleet", "endpoint_url": emulator.url}, **row.spec["options"])))
    # Unparsed inventory must fail the command, as CI and AWX configure it, rather than list nothing.
    rc, out = run([ANSIBLE_INVENTORY, "-i", str(source), "--list"], ansible_env(emulator.url, ANSIBLE_INVENTORY_UNPARSED_FAILED="1"))
    assert rc != 0, out
    assert_says(out, row)
    assert api_state(emulator) == before


def pb_row(id, playbook, case, extra, wrong, todo, xfail=""):
    return Row(id, "playbook", case, wrong, todo, {"playbook": playbook, "extra": extra}, xfail)


PLAYBOOK_ROWS = [
    pb_row("pb-register-bad-cluster", "register", "ecs_anywhere_cluster='bad cluster!'", {"ecs_anywhere_cluster": "bad cluster!"},
           ["Invalid fleet settings", "got 'bad cluster!'"], ["ecs_anywhere_cluster must be 1-255 letters, digits, - or _"]),
    pb_row("pb-register-bad-region", "register", "ecs_anywhere_region=us-east1", {"ecs_anywhere_region": "us-east1"},
           ["got 'us-east1'"], ["set ecs_anywhere_region, AWS_REGION or AWS_DEFAULT_REGION"]),
    pb_row("pb-register-bad-batch-size", "register", "ecs_anywhere_serial=abc (batch size)", {"ecs_anywhere_serial": "abc"},
           ["got 'abc'"], ["ecs_anywhere_serial a number or a percentage such as 25%"]),
    pb_row("pb-register-bad-iam-role", "register", "ecs_anywhere_iam_role='bad role!'", {"ecs_anywhere_iam_role": "bad role!"},
           ["Invalid register settings", "got 'bad role!'"], ["ecs_anywhere_iam_role must be an IAM role name"]),
    pb_row("pb-register-expiry-over-30d", "register", "ecs_anywhere_activation_expiry=45d", {"ecs_anywhere_activation_expiry": "45d"},
           ["Invalid register settings", "got '45d'"], ["at most 30d"]),
    pb_row("pb-register-bad-insights", "register", "ecs_anywhere_container_insights=on", {"ecs_anywhere_container_insights": "on"},
           ["got 'on'"], ["empty, enabled, disabled or enhanced"]),
    pb_row("pb-agent-update-no-version", "agent_update", "agent_update without ecs_anywhere_agent_version", {},
           ["ecs_anywhere_agent_version is required", "got ''"], ["VERSION-RELEASE such as 1.105.1-1"]),
    pb_row("pb-agent-update-bad-version", "agent_update", "ecs_anywhere_agent_version=1.105", {"ecs_anywhere_agent_version": "1.105"},
           ["got '1.105'"], ["VERSION-RELEASE such as 1.105.1-1"]),
    pb_row("pb-agent-update-bad-ssm-version", "agent_update", "ecs_anywhere_ssm_agent_version=3.3",
           {"ecs_anywhere_agent_version": "1.105.1-1", "ecs_anywhere_ssm_agent_version": "3.3"},
           ["got '3.3'"], ["'latest' or a version such as 3.3.1142.0"]),
    pb_row("pb-agent-update-bad-percentage", "agent_update", "ecs_anywhere_max_fail_percentage=150",
           {"ecs_anywhere_agent_version": "1.105.1-1", "ecs_anywhere_max_fail_percentage": 150},
           ["Invalid agent_update settings", "got '150'"], ["ecs_anywhere_max_fail_percentage 0-100"]),
    pb_row("pb-drain-bad-timeouts", "drain_and_deregister", "ecs_anywhere_poll_interval=30 > ecs_anywhere_drain_timeout=5",
           {"ecs_anywhere_drain_timeout": 5, "ecs_anywhere_poll_interval": 30},
           ["Invalid drain_and_deregister settings", "got 5", "got 30"], ["the interval not longer than the timeout"]),
    pb_row("pb-drain-bad-duration", "drain_and_deregister", "ecs_anywhere_drain_timeout=ten (neither seconds nor a duration)",
           {"ecs_anywhere_drain_timeout": "ten"},
           ["Invalid drain_and_deregister settings", "ecs_anywhere_drain_timeout (got 'ten')"],
           ["give seconds such as 600, or a duration such as 600s, 10m, 1h"]),
    pb_row("pb-drain-no-limit", "drain_and_deregister", "drain_and_deregister without --limit (the whole fleet)", {},
           ["no --limit was given", "it would take out all 1 host(s) of 'ecs_anywhere'"],
           ["Give --limit HOSTS", "set ecs_anywhere_confirm_all=true"]),
] + [
    pb_row("pb-%s-hosts-typo" % name.replace("_", "-"), name, "ecs_anywhere_hosts=ecs_anywhre (matches no host)",
           dict({"ecs_anywhere_hosts": "ecs_anywhre"}, **extra),
           ["No host matched 'ecs_anywhre'"], ["Check the group or pattern name and -i"])
    for name, extra in (("register", {}), ("agent_update", {"ecs_anywhere_agent_version": "1.105.1-1"}),
                        ("drain_and_deregister", {}))
]


@pytest.mark.parametrize("row", [r.param() for r in PLAYBOOK_ROWS])
def test_playbook_bad_input(row, emulator, tmp_path):
    """The playbook as users run it, against a host nobody can reach: the input checks must stop the run
    before anything else happens (a host is never contacted, nothing is created in the control plane)."""
    emulator.client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    emulator.seed(CLUSTER, 1)
    before = api_state(emulator)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"ecs_anywhere": {"hosts": {"ghost": {
        "ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_user": "nobody", "ansible_ssh_common_args": "-o ConnectTimeout=2"}}}}}}))
    extra = dict({"ecs_anywhere_endpoint_url": emulator.url, "ecs_anywhere_cluster": CLUSTER}, **row.spec["extra"])
    rc, out = run([ANSIBLE_PLAYBOOK, "hybridfleet.ecs_anywhere." + row.spec["playbook"], "-i", str(inventory), "-e", json.dumps(extra)],
                  ansible_env(), timeout=300)
    assert rc != 0, out
    assert_says(out, row)
    assert "UNREACHABLE" not in out, "the run went past its input checks:\n" + out[-3000:]
    assert api_state(emulator) == before


def pre_row(id, role, case, host, wrong, todo, xfail=""):
    return Row(id, "role preflight (unit harness)", case, wrong, todo, {"role": role, "host": host}, xfail)


PREFLIGHT_ROWS = [
    pre_row("role-unsupported-os", "ecs_agent", "ecs_agent on Gentoo 2", {"platform": ("Gentoo", "2", "Gentoo", "x86_64")},
            ["ecs_agent does not support Gentoo 2 on x86_64"], ["Supported: Debian 11-13", "Remove the host from the play or enrol it by hand"]),
    pre_row("role-unsupported-arch", "ssm_agent", "ssm_agent on Rocky 9 s390x", {"platform": ("Rocky", "9", "RedHat", "s390x")},
            ["ssm_agent does not support Rocky 9 on s390x"], ["x86_64 and aarch64", "Remove the host from the play"]),
    pre_row("role-empty-cluster", "ecs_agent", "ecs_agent_cluster ''", {"ecs_agent_cluster": ""},
            ["ecs_agent_cluster is required (got ''"], ["letters, digits, - and _ only"]),
    pre_row("role-bad-agent-version", "ecs_agent", "ecs_agent_version 'latestish'", {"ecs_agent_version": "latestish"},
            ["(got latestish)"], ["VERSION-RELEASE such as 1.105.1-1 or 'latest'"]),
    pre_row("role-bad-fingerprint-format", "ssm_agent", "ssm_agent_signing_key_fingerprints ['abc']", {"ssm_agent_signing_key_fingerprints": ["abc"]},
            ["Invalid ssm_agent settings"], ["40-hex-digit fingerprints"]),
    pre_row("role-bad-proxy-url", "ssm_agent", "ssm_agent_http_proxy 'proxy.example:3128' (no scheme)", {"ssm_agent_http_proxy": "proxy.example:3128"},
            ["ssm_agent_http_proxy and ssm_agent_https_proxy must be empty or URLs", "got 'proxy.example:3128'"], ["add the http:// scheme"]),
]


@pytest.mark.parametrize("row", [r.param() for r in PREFLIGHT_ROWS])
def test_role_preflight_bad_input(row, tmp_path):
    harness = unit_role_harness()
    host = dict(row.spec["host"])
    distribution, major, family, arch = host.pop("platform", ("Debian", "12", "Debian", "x86_64"))
    host["facts"] = harness.facts(distribution, major, family, arch=arch)
    host.setdefault("ecs_agent_cluster", "c1")
    task = {"name": "Run %s preflight" % row.spec["role"],
            "ansible.builtin.include_role": {"name": "hybridfleet.ecs_anywhere." + row.spec["role"], "tasks_from": "preflight.yml"}}
    marker = {"name": "Past preflight", "ansible.builtin.debug": {"msg": "PREFLIGHT PASSED"}}
    dumps, out = harness.run_playbook(tmp_path, {"target": host}, [task, marker], expect_rc=None)
    assert "PREFLIGHT PASSED" not in out, "preflight accepted the input"
    assert harness.recap(out)["target"]["failed"] == 1, out
    assert_says(out, row)
