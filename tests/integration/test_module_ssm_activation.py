"""ssm_activation / ssm_activation_info against the emulator."""


def test_check_mode_creates_nothing_and_returns_no_code(play, emulator, iam_role):
    (result,) = play({"ssm_activation": {"iam_role": iam_role, "registration_limit": 3}}, check=True)
    assert result["changed"] is True
    assert "code" not in result["activation"] and result["activation"]["registration_limit"] == 3
    assert emulator.activations()["activations"] == []


def test_create_check_exists_info_and_delete(play, emulator, iam_role):
    created, again, listed, by_tag, deleted, deleted_again, gone = play(
        {"ssm_activation": {"iam_role": iam_role, "registration_limit": 4, "default_instance_name": "edge",
                            "description": "test run", "expiration": "90m", "tags": {"purpose": "ecs-anywhere"}}, "no_log": True},
        {"ssm_activation": {"activation_id": "{{ r0.activation.id }}"}},
        {"ssm_activation_info": {"activation_ids": ["{{ r0.activation.id }}"]}},
        {"ssm_activation_info": {"tags": {"purpose": "ecs-anywhere"}, "expired": False}},
        {"ssm_activation": {"state": "absent", "activation_id": "{{ r0.activation.id }}"}},
        {"ssm_activation": {"state": "absent", "activation_id": "{{ r0.activation.id }}"}},
        {"ssm_activation_info": {"activation_ids": ["{{ r0.activation.id }}"]}},
    )
    activation = created["activation"]
    assert created["changed"] and activation["code"] and activation["registration_limit"] == 4
    assert activation["default_instance_name"] == "edge" and activation["tags"] == {"purpose": "ecs-anywhere"}
    assert activation["expired"] is False and activation["expiration_date"]
    assert again["changed"] is False and again["activation"]["id"] == activation["id"] and "code" not in again["activation"]
    assert [a["id"] for a in listed["activations"]] == [activation["id"]]
    assert all("code" not in a for a in listed["activations"] + by_tag["activations"])
    assert activation["id"] in [a["id"] for a in by_tag["activations"]]
    assert deleted["changed"] and [a["id"] for a in deleted["deleted_activations"]] == [activation["id"]]
    assert deleted_again["changed"] is False and deleted_again["deleted_activations"] == []
    assert gone["activations"] == []
    # With no_log on the task, the code never reaches the play's output.
    assert activation["code"] not in play.task_output(0)
    assert "no_log" in play.task_output(0)


def test_create_is_not_idempotent_and_absent_by_filter(play, emulator, iam_role):
    results = play(
        {"ssm_activation": {"iam_role": iam_role, "default_instance_name": "batch", "tags": {"run": "x"}}},
        {"ssm_activation": {"iam_role": iam_role, "default_instance_name": "batch", "tags": {"run": "x"}}},
        {"ssm_activation": {"iam_role": iam_role, "default_instance_name": "keep"}},
        {"ssm_activation": {"state": "absent", "tags": {"run": "x"}}, "check_mode": True},
        {"ssm_activation": {"state": "absent", "default_instance_name": "batch", "tags": {"run": "x"}}},
        {"ssm_activation_info": {}},
    )
    first, second, keep, predicted, deleted, remaining = results
    assert first["activation"]["id"] != second["activation"]["id"]
    assert predicted["changed"] and len(predicted["deleted_activations"]) == 2
    assert sorted(a["id"] for a in deleted["deleted_activations"]) == sorted([first["activation"]["id"], second["activation"]["id"]])
    assert [a["id"] for a in remaining["activations"]] == [keep["activation"]["id"]]


BAD_INPUT = [
    ({"expiration": "31d"}, "30 days"),
    ({"expiration": "soon"}, "ISO-8601"),
    ({"registration_limit": 0}, "between 1 and 1000"),
    ({"iam_role": None}, "iam_role is required"),
    ({"iam_role": "noSuchRole"}, "Failed to create the SSM activation"),
]


def test_bad_input_fails_clearly_and_creates_nothing(play, emulator, iam_role):
    tasks = []
    for args, _fragment in BAD_INPUT:
        task_args = {k: v for k, v in dict({"iam_role": iam_role}, **args).items() if v is not None}
        tasks.append({"ssm_activation": task_args, "expect_failure": True})
    results = play(*tasks)
    for (args, fragment), result in zip(BAD_INPUT, results):
        assert fragment in result["msg"], (args, result["msg"])
    assert emulator.activations()["activations"] == []


def test_unknown_activation_and_unbounded_delete_fail_clearly(play, emulator):
    missing, unbounded = play(
        {"ssm_activation": {"activation_id": "11111111-2222-3333-4444-555555555555"}, "expect_failure": True},
        {"ssm_activation": {"state": "absent"}, "expect_failure": True},
    )
    assert "does not exist" in missing["msg"] and "Omit activation_id" in missing["msg"]
    assert "refusing to delete every activation" in unbounded["msg"]


def test_expired_filter(play, emulator):
    seeded = emulator.seed("c1", 1)
    expired, unexpired = play({"ssm_activation_info": {"expired": True}}, {"ssm_activation_info": {"expired": False}})
    assert expired["activations"] == []
    assert [a["id"] for a in unexpired["activations"]] == [seeded["activation_id"]]


def test_absent_by_run_tag_deletes_every_match_and_returns_their_ids(play, emulator, iam_role):
    first, second, other, none, deleted, again, remaining = play(
        {"ssm_activation": {"iam_role": iam_role, "tags": {"hybridfleet-run": "r-1", "purpose": "ecs"}}, "no_log": True},
        {"ssm_activation": {"iam_role": iam_role, "tags": {"hybridfleet-run": "r-1"}}, "no_log": True},
        {"ssm_activation": {"iam_role": iam_role, "tags": {"hybridfleet-run": "r-2"}}, "no_log": True},
        {"ssm_activation": {"state": "absent", "tags": {"hybridfleet-run": "r-none"}}},
        {"ssm_activation": {"state": "absent", "tags": {"hybridfleet-run": "r-1"}}},
        {"ssm_activation": {"state": "absent", "tags": {"hybridfleet-run": "r-1"}}},
        {"ssm_activation_info": {}},
    )
    assert none["changed"] is False and none["deleted_ids"] == []
    assert deleted["changed"] and sorted(deleted["deleted_ids"]) == sorted([first["activation"]["id"], second["activation"]["id"]])
    assert again["changed"] is False and again["deleted_ids"] == []
    assert [a["id"] for a in remaining["activations"]] == [other["activation"]["id"]]


def test_absent_with_an_id_honours_the_tags(play, emulator, iam_role):
    """An id with tags deletes the activation only if it carries them (it used to delete it whatever the tags)."""
    created, mismatch, match, gone = play(
        {"ssm_activation": {"iam_role": iam_role, "tags": {"hybridfleet-run": "r-1"}}, "no_log": True},
        {"ssm_activation": {"state": "absent", "activation_id": "{{ r0.activation.id }}", "tags": {"hybridfleet-run": "r-2"}}},
        {"ssm_activation": {"state": "absent", "activation_id": "{{ r0.activation.id }}", "tags": {"hybridfleet-run": "r-1"}}},
        {"ssm_activation_info": {}},
    )
    activation_id = created["activation"]["id"]
    assert mismatch["changed"] is False and mismatch["deleted_ids"] == []
    assert any(activation_id in w and "does not match" in w and "was not deleted" in w for w in mismatch["warnings"])
    assert match["changed"] and match["deleted_ids"] == [activation_id]
    assert gone["activations"] == []


def test_tag_values_are_stored_as_aws_cli_users_write_them(play, emulator, iam_role):
    created, refused, found = play(
        {"ssm_activation": {"iam_role": iam_role, "tags": {"gpu": True, "rack": 7}}, "no_log": True},
        {"ssm_activation": {"iam_role": iam_role, "tags": {"site": None}}, "expect_failure": True},
        {"ssm_activation_info": {"tags": {"gpu": True}}},
    )
    assert created["activation"]["tags"] == {"gpu": "true", "rack": "7"}
    assert "tags 'site' has no value (null)" in refused["msg"] and "Nothing was changed" in refused["msg"]
    assert [a["id"] for a in found["activations"]] == [created["activation"]["id"]]
    assert len([a for a in emulator.activations()["activations"] if not a["Deleted"]]) == 1


def test_retried_create_activation_leaves_two_and_the_run_tag_deletes_both(play, emulator, iam_role):
    """Issue 12 point 8: CreateActivation is performed but its answer is lost, botocore retries, SSM holds two live
    activations and the task saw one. Deleting by the run's tag removes both."""
    emulator.faults(lose_response={"operation": "ssm:CreateActivation", "times": 1, "delay": 0})
    run_tag = {"hybridfleet-run": "run-42"}
    created, listed, deleted, remaining = play(
        {"ssm_activation": {"iam_role": iam_role, "tags": run_tag, "registration_limit": 2}, "no_log": True},
        {"ssm_activation_info": {"tags": run_tag}},
        {"ssm_activation": {"state": "absent", "tags": run_tag}},
        {"ssm_activation_info": {"tags": run_tag}},
    )
    assert emulator._call("GET", "/_emulator/faults")["lose_response"]["lost"] == 1
    assert emulator.calls("ssm:CreateActivation") == 2
    log = [a for a in emulator.activations()["activations"] if {"Key": "hybridfleet-run", "Value": "run-42"} in a.get("Tags", [])]
    assert len(log) == 2, log
    ids = sorted(a["ActivationId"] for a in log)
    # the task reported one activation; the lost answer's twin is live too
    assert created["activation"]["id"] in ids and sorted(a["id"] for a in listed["activations"]) == ids
    assert deleted["changed"] and sorted(deleted["deleted_ids"]) == ids
    assert remaining["activations"] == []
    assert all(a["Deleted"] for a in emulator.activations()["activations"])
