"""ecs_task_definition against the emulator: a revision only when the definition differs, check and diff mode,
tags, the awsvpc refusal for EXTERNAL, and deregistration."""

APP = {"name": "app", "image": "nginx:1.27", "memory": 128,
       "portMappings": [{"containerPort": 80, "hostPort": 8080}],
       "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
       "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/app/token"}],
       "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/app"}}}


def definition(**changes):
    return {"ecs_task_definition": dict({"family": "on-prem-app", "container_definitions": [APP]}, **changes)}


def test_a_revision_only_when_the_definition_differs(play, emulator):
    ecs = emulator.client("ecs")
    predicted, first, again, reordered, newer, newer_again = play(
        dict(definition(tags={"team": "edge"}), check_mode=True),
        definition(tags={"team": "edge"}),
        definition(tags={"team": "edge"}),
        # The same environment in another order, ECS's defaults spelt out: the same definition.
        definition(container_definitions=[dict(APP, essential=True, cpu=0, environment=APP["environment"][::-1],
                                               portMappings=[{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}])]),
        definition(container_definitions=[dict(APP, image="nginx:1.28")]),
        definition(container_definitions=[dict(APP, image="nginx:1.28")]),
        diff=True,
    )
    assert predicted["changed"] and predicted["task_definition"]["taskDefinitionArn"] is None
    assert predicted["task_definition"]["revision"] == 1
    assert first["changed"] and first["task_definition"]["revision"] == 1
    assert first["task_definition"]["requiresCompatibilities"] == ["EXTERNAL"]
    assert first["task_definition"]["networkMode"] == "bridge" and first["tags"] == {"team": "edge"}
    assert first["diff"]["before"] == {"definition": None}
    assert again["changed"] is False and reordered["changed"] is False
    assert newer["changed"] and newer["task_definition"]["revision"] == 2 and newer["changed_fields"] == ["containerDefinitions"]
    assert "nginx:1.27" in str(newer["diff"]["before"]) and "nginx:1.28" in str(newer["diff"]["after"])
    # The new revision keeps the tags of the one it replaces.
    assert newer["tags"] == {"team": "edge"}
    assert ecs.describe_task_definition(taskDefinition="on-prem-app", include=["TAGS"])["tags"] == [{"key": "team", "value": "edge"}]
    assert newer_again["changed"] is False
    listed = ecs.list_task_definitions(familyPrefix="on-prem-app", status="ACTIVE")["taskDefinitionArns"]
    assert [a.rsplit(":", 1)[1] for a in listed] == ["1", "2"]


def test_host_mode_and_tags_alone(play, emulator):
    host_app = dict(APP, portMappings=[{"containerPort": 9000}])
    first, again, retagged = play(
        definition(family="hostnet", network_mode="host", container_definitions=[host_app]),
        # ECS filled in hostPort 9000 (host mode) and protocol tcp: still the same definition.
        definition(family="hostnet", network_mode="host", container_definitions=[host_app]),
        definition(family="hostnet", network_mode="host", container_definitions=[host_app], tags={"site": "plant-7"}),
    )
    assert first["changed"] and again["changed"] is False
    assert retagged["changed"] and retagged["task_definition"]["revision"] == 1 and retagged["tags"] == {"site": "plant-7"}


def test_refusals_before_any_call(play, emulator):
    awsvpc, snake, no_memory = play(
        dict(definition(network_mode="awsvpc"), expect_failure=True),
        dict(definition(container_definitions=[{"name": "a", "image": "busybox", "memory": 16, "port_mappings": []}]),
             expect_failure=True),
        dict(definition(container_definitions=[{"name": "a", "image": "busybox"}]), expect_failure=True),
    )
    assert "awsvpc is not available to EXTERNAL tasks" in awsvpc["msg"]
    assert "port_mappings is not an ECS field" in snake["msg"] and "portMappings" in snake["msg"]
    assert "needs memory or memoryReservation" in no_memory["msg"]
    ecs = emulator.client("ecs")
    assert ecs.list_task_definitions(familyPrefix="on-prem-app")["taskDefinitionArns"] == []


def test_absent_deregisters_one_revision_or_all(play, emulator):
    ecs = emulator.client("ecs")
    play(definition(), definition(container_definitions=[dict(APP, image="nginx:2")]),
         definition(container_definitions=[dict(APP, image="nginx:3")]))
    one_check, one, one_again, rest_check, rest, rest_again = play(
        dict(definition(state="absent", revision=3), check_mode=True),
        definition(state="absent", revision=3),
        definition(state="absent", revision=3),
        dict(definition(state="absent"), check_mode=True),
        definition(state="absent"),
        definition(state="absent"),
        diff=True,
    )
    assert one_check["changed"] and one_check["deregistered"][0].endswith(":3")
    assert one["changed"] and one["task_definition"]["revision"] == 2
    assert one_again["changed"] is False
    assert rest_check["changed"] and [a.rsplit(":", 1)[1] for a in rest_check["deregistered"]] == ["1", "2"]
    assert rest["changed"] and rest["task_definition"] is None and rest["diff"]["before"] == {"active_revisions": ["1", "2"]}
    assert rest_again["changed"] is False
    assert ecs.list_task_definitions(familyPrefix="on-prem-app", status="ACTIVE")["taskDefinitionArns"] == []
    assert ecs.describe_task_definition(taskDefinition="on-prem-app:1")["taskDefinition"]["status"] == "INACTIVE"
