"""ecs_cluster against the emulator: create, settings, tags, idempotence, delete and its refusal."""


def test_lifecycle(play, emulator):
    predicted, created, repeat, insights, tags, absent_check, deleted, again = play(
        {"ecs_cluster": {"name": "hybrid", "container_insights": "enabled", "tags": {"team": "edge"}}, "check_mode": True},
        {"ecs_cluster": {"name": "hybrid", "container_insights": "enabled", "tags": {"team": "edge"}}},
        {"ecs_cluster": {"name": "hybrid", "container_insights": "enabled", "tags": {"team": "edge"}}},
        {"ecs_cluster": {"name": "hybrid", "container_insights": "disabled"}},
        {"ecs_cluster": {"name": "hybrid", "tags": {"owner": "ops"}, "purge_tags": False}},
        {"ecs_cluster": {"name": "hybrid", "state": "absent"}, "check_mode": True},
        {"ecs_cluster": {"name": "hybrid", "state": "absent"}},
        {"ecs_cluster": {"name": "hybrid", "state": "absent"}},
        diff=True,
    )
    assert predicted["changed"] and predicted["cluster"]["cluster_arn"] is None
    assert created["changed"] and created["cluster"]["status"] == "ACTIVE"
    assert created["cluster"]["container_insights"] == "enabled" and created["cluster"]["tags"] == {"team": "edge"}
    assert repeat["changed"] is False
    assert insights["changed"] and insights["cluster"]["container_insights"] == "disabled"
    assert insights["diff"]["before"] == {"container_insights": "enabled"}
    assert tags["changed"] and tags["cluster"]["tags"] == {"team": "edge", "owner": "ops"}
    assert absent_check["changed"] and deleted["changed"] and again["changed"] is False
    assert deleted["cluster"] is None


def test_check_mode_changes_nothing_and_state_is_read_back(play, emulator):
    ecs = emulator.client("ecs")
    play({"ecs_cluster": {"name": "dry", "container_insights": "enhanced"}}, check=True)
    assert ecs.describe_clusters(clusters=["dry"])["clusters"] == [] or \
        ecs.describe_clusters(clusters=["dry"])["clusters"][0]["status"] == "INACTIVE"
    _created, described = play({"ecs_cluster": {"name": "real", "container_insights": "enhanced"}},
                               {"ecs_cluster": {"name": "real"}})
    assert described["changed"] is False and described["cluster"]["container_insights"] == "enhanced"
    assert ecs.describe_clusters(clusters=["real"], include=["SETTINGS"])["clusters"][0]["settings"] == [
        {"name": "containerInsights", "value": "enhanced"}]


def test_delete_refused_while_instances_registered(play, emulator):
    emulator.seed("busy", 1)
    (result,) = play({"ecs_cluster": {"name": "busy", "state": "absent"}, "expect_failure": True})
    assert "ClusterContainsContainerInstancesException" in result["msg"] and "deregister" in result["msg"]
    assert emulator.client("ecs").describe_clusters(clusters=["busy"])["clusters"][0]["status"] == "ACTIVE"
