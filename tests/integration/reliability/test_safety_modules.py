"""Modules refuse what would act on the wrong thing, or store what the user did not mean, and say so (issue 12).

Rows (pytest ids `safe-*`) run one module task through ansible-playbook against the emulator: each must fail
with a message saying what is wrong and what to do (phrases per row) and leave the control plane exactly as
it was. The tests after the rows prove the behaviours that do not fail: warnings, stored values, capped
messages and results. docs/reliability.md lists each with the command that reproduces it.
"""
import json

import pytest

from bad_input_fixtures import ROLE, TRUST, Row, api_state, assert_says
from test_bad_inputs import _fill  # placeholders (ARN1, MI2...) in a task spec replaced by the seeded ids

OTHER_ACCOUNT = "111111111111"
ACCOUNT = "123456789012"  # the emulator's (moto's) account


@pytest.fixture
def world(emulator):
    """IAM role; cluster c1 with one host running a service task that never drains during a row; cluster c2 with one idle host."""
    emulator.client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    c1, c2 = emulator.seed("c1", 1), emulator.seed("c2", 1)
    emulator._call("POST", "/_emulator/config", {"drain_delay": 3600})
    ecs = emulator.client("ecs")
    ecs.register_task_definition(family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64, "cpu": 16}])
    ecs.create_service(cluster="c1", serviceName="web", taskDefinition="web", desiredCount=1, launchType="EXTERNAL")
    return {"ARN1": c1["container_instance_arns"][0], "MI1": c1["managed_instance_ids"][0],
            "ARN2": c2["container_instance_arns"][0], "MI2": c2["managed_instance_ids"][0], "CI2": c2["container_instance_arns"][0].rsplit("/", 1)[1]}


def row(id, case, task, wrong, todo, check_mode=False):
    return Row(id, "module", case, wrong, todo, {"task": task, "check_mode": check_mode})


ROWS = [
    row("safe-expiry-overflow", "ssm_activation expiration 999999999d (crashed with OverflowError)",
        {"ssm_activation": {"iam_role": ROLE, "expiration": "999999999d"}},
        ["'999999999d' is more than 30 days away"], ["give 30d or less"]),
    row("safe-tag-null-value", "ssm_activation tag with a null value (was stored as 'None')",
        {"ssm_activation": {"iam_role": ROLE, "tags": {"site": None}}},
        ["tags 'site' has no value (null)"], ["give a string", "Nothing was changed"]),
    row("safe-tag-aws-prefix", "ssm_managed_instance tag key aws:owner",
        {"ssm_managed_instance": {"instance_id": "MI1", "tags": {"aws:owner": "me"}, "purge_tags": False}},
        ["key 'aws:owner' starts with aws:, which AWS reserves"], ["Fix them and run again", "Nothing was changed"]),
    row("safe-tags-over-50", "ecs_cluster with 51 tags",
        {"ecs_cluster": {"name": "tagged", "tags": {"t%02d" % i: "v" for i in range(51)}}},
        ["a resource carries at most 50 tags, this would make 51"], ["Fix them and run again", "Nothing was changed"]),
    row("safe-attribute-bad-name", "ecs_container_instance attribute name 'bad name!'",
        {"ecs_container_instance": {"cluster": "c1", "container_instance": ["ARN1"], "attributes": {"bad name!": "x"}}},
        ["name 'bad name!' must be 1-128 letters, digits or - _ / \\ ."], ["Nothing was changed"]),
    row("safe-attribute-bad-value", "ecs_container_instance attribute value with a leading space",
        {"ecs_container_instance": {"cluster": "c1", "container_instance": ["ARN1"], "attributes": {"site": " lyon"}}},
        ["the value of 'site' must be 1-128 letters", "not start or end with a space"], ["Nothing was changed"]),
    row("safe-attribute-over-10", "ecs_container_instance putting 10 attributes beside the agent's custom one (11 in all)",
        {"ecs_container_instance": {"cluster": "c1", "container_instance": ["ARN1"], "attributes": {"a%d" % i: "v" for i in range(10)}}},
        ["at most 10 custom attributes, this would make 11"], ["remove some with remove_attributes", "Nothing was changed"]),
    row("safe-attribute-not-scalar", "ecs_container_instance attribute value that is a mapping",
        {"ecs_container_instance": {"cluster": "c1", "container_instance": ["ARN1"], "attributes": {"site": {"name": "lyon"}}}},
        ["attribute 'site' must be a string, number or boolean, got a dict"], ["Nothing was changed"]),
    row("safe-deregister-other-clusters-arn", "ecs_container_instance state=deregistered, cluster c1, a container instance ARN of c2 (reported ok)",
        {"ecs_container_instance": {"cluster": "c1", "container_instance": ["ARN2"], "state": "deregistered"}},
        ["is in cluster c2, not in c1"], ["give cluster: c2 to act on it there", "Nothing was changed"]),
    row("safe-deregister-other-clusters-id", "ecs_container_instance state=deregistered, cluster c1, the bare id of c2's instance",
        {"ecs_container_instance": {"cluster": "c1", "container_instance": ["CI2"], "state": "deregistered"}},
        ["is registered in cluster c2, not in c1"], ["Give that cluster to deregister it there", "any_cluster: true"]),
    row("safe-deregister-managed-instance-elsewhere", "ecs_container_instance state=deregistered, cluster c1, c2's managed instance",
        {"ecs_container_instance": {"cluster": "c1", "managed_instance_id": ["MI2"], "state": "deregistered"}},
        ["is registered in cluster c2, not in c1"], ["Give that cluster to deregister it there", "Nothing was changed"]),
    row("safe-cluster-arn-other-region", "ecs_container_instance draining, cluster ARN of eu-west-1 (acted on us-east-1's c1)",
        {"ecs_container_instance": {"cluster": "arn:aws:ecs:eu-west-1:%s:cluster/c1" % ACCOUNT, "managed_instance_id": ["MI1"],
                                    "state": "draining"}},
        ["is in region eu-west-1, account %s, but this task works in region us-east-1" % ACCOUNT],
        ["Set region (and credentials) to the ones of that ARN", "Nothing was changed"]),
    row("safe-cluster-arn-other-account", "ecs_container_instance_info, cluster ARN of another account",
        {"ecs_container_instance_info": {"cluster": "arn:aws:ecs:us-east-1:%s:cluster/c1" % OTHER_ACCOUNT}},
        ["account %s" % OTHER_ACCOUNT, "with the credentials of account %s" % ACCOUNT], ["Set region (and credentials) to the ones of that ARN"]),
    row("safe-instance-arn-other-account", "ecs_container_instance state=deregistered, a container instance ARN of another account",
        {"ecs_container_instance": {"cluster": "c1", "container_instance": ["arn:aws:ecs:us-east-1:%s:container-instance/c1/%s" % (OTHER_ACCOUNT, "f" * 32)],
                                    "state": "deregistered"}},
        ["account %s" % OTHER_ACCOUNT, "with the credentials of account %s" % ACCOUNT], ["Nothing was changed"]),
    row("safe-cluster-delete-check-mode", "ecs_cluster state=absent in check mode on a cluster with a container instance (predicted success)",
        {"ecs_cluster": {"name": "c1", "state": "absent"}},
        ["Cluster c1 cannot be deleted: it still has 1 registered container instance(s)", "ClusterContainsContainerInstancesException"],
        ["deregister them first", "Nothing was changed"], check_mode=True),
    row("safe-managed-id-injection", "ecs_container_instance_info managed_instance_ids 'mi-1] or agentConnected == true'",
        {"ecs_container_instance_info": {"cluster": "c1", "managed_instance_ids": ["mi-1] or agentConnected == true"]}},
        ["must be managed instance ids such as mi-0123456789abcdef0", "'mi-1] or agentConnected == true'"], ["Nothing was changed"]),
    row("safe-filter-too-long", "ecs_container_instance_info filter of 2,001 characters",
        {"ecs_container_instance_info": {"cluster": "c1", "filter": "attribute:site == " + "x" * 1983}},
        ["filter is 2001 characters long", "at most 2000"], ["Shorten it"]),
]


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_module_refuses(row, play, emulator, world):
    before = api_state(emulator)
    task = dict(_fill(row.spec["task"], world), expect_failure=True)
    if row.spec["check_mode"]:
        task["check_mode"] = True
    (result,) = play(task)
    assert_says(result["msg"], row)
    assert api_state(emulator) == before


def test_safe_message_about_5000_ids_is_capped(play, emulator, world):
    """A message naming 5,000 unknown ids was 170 KB: it names five and counts the rest."""
    unknown = ["mi-%017x" % (0xbeef0000 + i) for i in range(5000)]
    (result,) = play({"ecs_container_instance": {"cluster": "c1", "managed_instance_id": unknown, "state": "draining"},
                      "expect_failure": True})
    assert "No managed instance %s" % ", ".join(unknown[:5]) in result["msg"] and "and 4995 more in cluster c1" in result["msg"]
    assert len(result["msg"]) < 1000, len(result["msg"])
    # resolved with 56 `ec2InstanceId in [...]` expressions of at most 2,000 characters (90 ids each)
    assert emulator.calls("ecs:ListContainerInstances") == 56


def test_safe_drain_of_5000_returns_a_compact_result(play, emulator, tmp_path):
    """A 5,000-instance drain returned 14 MB; the default result is compact and says each instance's outcome."""
    seeded = emulator.seed("big", 5000)
    full, compact = play(
        {"ecs_container_instance": {"cluster": "big", "managed_instance_id": seeded["managed_instance_ids"], "state": "draining", "wait": True,
                                    "poll_interval": 1, "result_detail": "full"}},
        {"ecs_container_instance": {"cluster": "big", "managed_instance_id": seeded["managed_instance_ids"], "state": "draining", "wait": True,
                                    "poll_interval": 1}},
        timeout=900,
    )
    sizes = {name: len(json.dumps(result)) for name, result in (("full", full), ("compact", compact))}
    print("5,000-instance drain result: full %.1f MB, compact %.1f MB" % (sizes["full"] / 1e6, sizes["compact"] / 1e6))
    assert len(compact["outcomes"]) == 5000 and set(compact["outcomes"].values()) == {"drained"}
    assert len(compact["by_managed_instance_id"]) == 5000 and "before" not in compact
    assert sizes["compact"] * 3 < sizes["full"]


def test_safe_activation_absent_with_id_honours_tags(play, emulator, world):
    """ssm_activation state=absent with an id ignored tags (deleted an activation not carrying them)."""
    created, kept = play(
        {"ssm_activation": {"iam_role": ROLE, "tags": {"hybridfleet-run": "r-1"}}, "no_log": True},
        {"ssm_activation": {"state": "absent", "activation_id": "{{ r0.activation.id }}", "tags": {"hybridfleet-run": "r-2"}}},
    )
    assert kept["changed"] is False and kept["deleted_ids"] == []
    assert any("does not match tags=" in w and "was not deleted" in w for w in kept["warnings"])
    live = [a["ActivationId"] for a in emulator.activations()["activations"] if not a["Deleted"]]
    assert created["activation"]["id"] in live


def test_safe_ssm_deregistration_warns_about_a_live_container_instance(play, emulator, world):
    """ssm_managed_instance state=absent deregistered an instance whose container instance was still ACTIVE, silently."""
    searched, named = play(
        {"ssm_managed_instance": {"instance_id": world["MI1"], "state": "absent"}, "check_mode": True},
        {"ssm_managed_instance": {"instance_id": world["MI2"], "state": "absent", "ecs_cluster": "c2"}},
    )
    for result, arn, cluster in ((searched, world["ARN1"], "c1"), (named, world["ARN2"], "c2")):
        assert any(arn in w and "in cluster %s" % cluster in w and "ecs_container_instance state=deregistered" in w for w in result["warnings"])
        assert [r["container_instance_arn"] for r in result["ecs_container_instances"]] == [arn]
    assert searched["ecs_container_instances"][0]["running_tasks_count"] == 1
    ssm = emulator.client("ssm")
    remaining = {i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]}
    assert world["MI1"] in remaining and world["MI2"] not in remaining


def test_safe_yaml_booleans_are_stored_as_aws_cli_users_write_them(play, emulator, world):
    """`true` was stored as 'True'; tags and attributes now hold 'true', numbers their digits."""
    play(
        {"ssm_managed_instance": {"instance_id": world["MI1"], "tags": {"gpu": True, "rack": 7}, "purge_tags": False}},
        {"ecs_container_instance": {"cluster": "c1", "container_instance": [world["ARN1"]], "attributes": {"gpu": True, "rack": 7}}},
    )
    tags = {t["Key"]: t["Value"] for t in emulator.client("ssm").list_tags_for_resource(ResourceType="ManagedInstance",
                                                                                       ResourceId=world["MI1"])["TagList"]}
    described = emulator.client("ecs").describe_container_instances(cluster="c1", containerInstances=[world["ARN1"]])["containerInstances"][0]
    attributes = {a["name"]: a.get("value") for a in described["attributes"]}
    assert tags["gpu"] == attributes["gpu"] == "true" and tags["rack"] == attributes["rack"] == "7"
