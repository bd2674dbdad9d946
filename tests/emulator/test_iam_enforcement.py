"""IAM enforcement for keys IAM issued (config enforce_iam / --enforce-iam): allowed calls run, others are refused as
AWS refuses them, for moto-served (IAM, ECS clusters) and emulator-served (SSM activations and instances, ECS container
instances) operations alike; Deny wins; resources and conditions scope what is allowed."""
import json

import boto3
import pytest
from botocore.config import Config

from .conftest import REGION

ACCOUNT = "123456789012"
TRUST_SSM = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _statement(effect, action, resource="*", condition=None):
    statement = {"Effect": effect, "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


class Keys:
    """An IAM user with the given policy statements and its access key, made with the (unevaluated) test keys."""

    def __init__(self, emulator, iam, name, statements, group_statements=None):
        self.emulator = emulator
        self.name = name
        self.arn = "arn:aws:iam::%s:user/%s" % (ACCOUNT, name)
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
        if group_statements:
            iam.create_group(GroupName=name + "-group")
            iam.add_user_to_group(GroupName=name + "-group", UserName=name)
            policy = iam.create_policy(PolicyName=name + "-managed", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": group_statements}))["Policy"]["Arn"]
            iam.attach_group_policy(GroupName=name + "-group", PolicyArn=policy)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        self.key_id, self.secret = key["AccessKeyId"], key["SecretAccessKey"]

    def client(self, service, secret=None, token=None):
        return boto3.client(service, region_name=REGION, endpoint_url=self.emulator.url, config=NO_RETRY,
                            aws_access_key_id=self.key_id, aws_secret_access_key=secret or self.secret,
                            aws_session_token=token)


def _refused(call, code, message=None):
    with pytest.raises(Exception) as exc:
        call()
    error = exc.value.response["Error"]
    assert error["Code"] == code, error
    if message is not None:
        assert error["Message"] == message
    return error["Message"]


def _implicit(user, action, resource):
    return "User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the " \
           "%s action" % (user, action, resource, action)


def _explicit(user, action, resource):
    return "User: %s is not authorized to perform: %s on resource: %s with an explicit deny in an identity-based " \
           "policy" % (user, action, resource)


def _cluster(name):
    return "arn:aws:ecs:%s:%s:cluster/%s" % (REGION, ACCOUNT, name)


@pytest.fixture
def enforced(set_config):
    set_config(enforce_iam=True)


@pytest.fixture
def fleet(emulator, ecs, container_instance, role, activation, register):
    """Clusters edge (one container instance) and other (one), a managed instance tagged site=lab."""
    ecs.create_cluster(clusterName="other")
    mine = container_instance()["containerInstanceArn"]
    theirs = container_instance(cluster_name="other")["containerInstanceArn"]
    return {"mine": mine, "theirs": theirs, "managed": register(activation)}


def test_off_by_default_a_user_without_policies_is_not_evaluated(emulator, iam):
    keys = Keys(emulator, iam, "nobody", [_statement("Allow", "ecs:ListClusters")])
    keys.client("ssm").describe_activations()
    keys.client("iam").list_roles()


def test_exact_actions_allowed_everything_else_denied_on_both_sides(emulator, iam, enforced, fleet):
    keys = Keys(emulator, iam, "reader", [_statement("Allow", [
        "ecs:ListClusters", "ecs:DescribeClusters", "ecs:ListContainerInstances", "ssm:DescribeInstanceInformation",
        "iam:GetRole"])])
    ecs, ssm, iam_as_user = keys.client("ecs"), keys.client("ssm"), keys.client("iam")
    # Allowed: moto-served (ListClusters, GetRole), layer-served (ListContainerInstances, DescribeInstanceInformation)
    # and mixed (DescribeClusters: moto's cluster, the layer's counts).
    assert sorted(ecs.list_clusters()["clusterArns"]) == [_cluster("edge"), _cluster("other")]
    assert ecs.describe_clusters(clusters=["edge"])["clusters"][0]["registeredContainerInstancesCount"] == 1
    assert ecs.list_container_instances(cluster="edge")["containerInstanceArns"] == [fleet["mine"]]
    assert ssm.describe_instance_information()["InstanceInformationList"][0]["InstanceId"] == fleet["managed"]
    assert iam_as_user.get_role(RoleName="ecsAnywhereRole")["Role"]["RoleName"] == "ecsAnywhereRole"
    # Denied, with AWS's code and message: moto-served ...
    _refused(lambda: ecs.create_cluster(clusterName="new"), "AccessDeniedException",
             _implicit(keys.arn, "ecs:CreateCluster", "*"))
    _refused(lambda: iam_as_user.list_roles(), "AccessDenied", _implicit(keys.arn, "iam:ListRoles", "*"))
    _refused(lambda: iam_as_user.delete_role(RoleName="ecsAnywhereRole"), "AccessDenied",
             _implicit(keys.arn, "iam:DeleteRole", "arn:aws:iam::%s:role/ecsAnywhereRole" % ACCOUNT))
    _refused(lambda: iam_as_user.create_role(RoleName="new", Path="/edge/", AssumeRolePolicyDocument="{}"),
             "AccessDenied", _implicit(keys.arn, "iam:CreateRole", "arn:aws:iam::%s:role/edge/new" % ACCOUNT))
    # ... and emulator-served.
    _refused(lambda: ssm.describe_activations(), "AccessDeniedException",
             _implicit(keys.arn, "ssm:DescribeActivations", "*"))
    _refused(lambda: ssm.deregister_managed_instance(InstanceId=fleet["managed"]), "AccessDeniedException",
             _implicit(keys.arn, "ssm:DeregisterManagedInstance", "arn:aws:ssm:%s:%s:managed-instance/%s"
                       % (REGION, ACCOUNT, fleet["managed"])))
    _refused(lambda: ecs.update_container_instances_state(cluster="edge", containerInstances=[fleet["mine"]],
                                                          status="DRAINING"),
             "AccessDeniedException", _implicit(keys.arn, "ecs:UpdateContainerInstancesState", fleet["mine"]))
    _refused(lambda: ecs.deregister_container_instance(cluster="edge", containerInstance=fleet["mine"]),
             "AccessDeniedException", _implicit(keys.arn, "ecs:DeregisterContainerInstance", _cluster("edge")))
    # Nothing a refused call would have changed did change.
    assert ecs.describe_clusters(clusters=["new"])["clusters"] == []
    assert emulator.client("ecs").describe_container_instances(
        cluster="edge", containerInstances=[fleet["mine"]])["containerInstances"][0]["status"] == "ACTIVE"


def test_wildcards_and_an_explicit_deny_that_wins(emulator, iam, enforced, fleet):
    # Allow through a wildcard in the inline policy; Deny through a managed policy attached to the user's group.
    keys = Keys(emulator, iam, "operator", [_statement("Allow", ["ecs:*", "ssm:Describe*"])],
                group_statements=[_statement("Deny", "ecs:Delete*", _cluster("edge")),
                                  _statement("Deny", "ssm:DescribeActivations")])
    ecs, ssm = keys.client("ecs"), keys.client("ssm")
    ecs.create_cluster(clusterName="scratch")
    ecs.delete_cluster(cluster="scratch")
    ssm.describe_instance_information()
    _refused(lambda: ecs.delete_cluster(cluster="edge"), "AccessDeniedException",
             _explicit(keys.arn, "ecs:DeleteCluster", _cluster("edge")))
    _refused(lambda: ssm.describe_activations(), "AccessDeniedException",
             _explicit(keys.arn, "ssm:DescribeActivations", "*"))
    _refused(lambda: ssm.deregister_managed_instance(InstanceId=fleet["managed"]), "AccessDeniedException")


def test_resource_scoping_on_cluster_and_container_instance_arns(emulator, iam, enforced, fleet):
    keys = Keys(emulator, iam, "edge-operator", [
        _statement("Allow", ["ecs:ListContainerInstances", "ecs:DescribeClusters"], _cluster("edge")),
        _statement("Allow", "ecs:UpdateContainerInstancesState",
                   "arn:aws:ecs:%s:%s:container-instance/edge/*" % (REGION, ACCOUNT)),
        _statement("Allow", "ecs:DescribeContainerInstances", "*",
                   {"ArnEquals": {"ecs:cluster": _cluster("edge")}}),
    ])
    ecs = keys.client("ecs")
    assert ecs.list_container_instances(cluster="edge")["containerInstanceArns"] == [fleet["mine"]]
    ecs.update_container_instances_state(cluster="edge", containerInstances=[fleet["mine"]], status="DRAINING")
    assert ecs.describe_container_instances(cluster="edge", containerInstances=[fleet["mine"]])[
        "containerInstances"][0]["status"] == "DRAINING"
    _refused(lambda: ecs.list_container_instances(cluster="other"), "AccessDeniedException",
             _implicit(keys.arn, "ecs:ListContainerInstances", _cluster("other")))
    _refused(lambda: ecs.describe_clusters(clusters=["edge", "other"]), "AccessDeniedException",
             _implicit(keys.arn, "ecs:DescribeClusters", _cluster("other")))
    _refused(lambda: ecs.update_container_instances_state(cluster="other", containerInstances=[fleet["theirs"]],
                                                          status="DRAINING"),
             "AccessDeniedException", _implicit(keys.arn, "ecs:UpdateContainerInstancesState", fleet["theirs"]))
    _refused(lambda: ecs.describe_container_instances(cluster="other", containerInstances=[fleet["theirs"]]),
             "AccessDeniedException", _implicit(keys.arn, "ecs:DescribeContainerInstances", fleet["theirs"]))


def test_create_activation_needs_pass_role_on_the_role_for_ssm(emulator, iam, enforced, role):
    iam.create_role(RoleName="otherRole", AssumeRolePolicyDocument=json.dumps(TRUST_SSM))
    keys = Keys(emulator, iam, "enroller", [
        _statement("Allow", ["ssm:CreateActivation", "ssm:DeleteActivation"]),
        _statement("Allow", "iam:PassRole", "arn:aws:iam::%s:role/ecsAnywhereRole" % ACCOUNT,
                   {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}),
        _statement("Allow", "iam:PassRole", "arn:aws:iam::%s:role/otherRole" % ACCOUNT,
                   {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
    ])
    ssm = keys.client("ssm")
    created = ssm.create_activation(IamRole="ecsAnywhereRole")
    ssm.delete_activation(ActivationId=created["ActivationId"])
    # otherRole may be passed, but to ECS tasks only: SSM may not have it.
    _refused(lambda: ssm.create_activation(IamRole="otherRole"), "AccessDeniedException",
             _implicit(keys.arn, "iam:PassRole", "arn:aws:iam::%s:role/otherRole" % ACCOUNT))
    assert [a["IamRole"] for a in emulator.activations()["activations"]] == ["ecsAnywhereRole"]


def test_resource_tag_conditions_on_managed_instances(emulator, iam, enforced, ssm, role, register):
    lab = register(ssm.create_activation(IamRole=role, Tags=[{"Key": "site", "Value": "lab"}]))
    prod = register(ssm.create_activation(IamRole=role, Tags=[{"Key": "site", "Value": "prod"}]))
    keys = Keys(emulator, iam, "lab-cleaner", [_statement(
        "Allow", "ssm:DeregisterManagedInstance", "arn:aws:ssm:*:*:managed-instance/*",
        {"StringEquals": {"ssm:resourceTag/site": "lab"}})])
    as_user = keys.client("ssm")
    as_user.deregister_managed_instance(InstanceId=lab)
    _refused(lambda: as_user.deregister_managed_instance(InstanceId=prod), "AccessDeniedException")
    assert [i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]] == [prod]


def test_signature_and_key_status_are_checked(emulator, iam, enforced):
    keys = Keys(emulator, iam, "signer", [_statement("Allow", "*")])
    keys.client("ssm").describe_activations()
    _refused(lambda: keys.client("ssm", secret="x" * 40).describe_activations(), "InvalidSignatureException")
    _refused(lambda: keys.client("iam", secret="x" * 40).list_roles(), "SignatureDoesNotMatch")
    iam.update_access_key(UserName="signer", AccessKeyId=keys.key_id, Status="Inactive")
    _refused(lambda: keys.client("ecs").list_clusters(), "UnrecognizedClientException",
             "The security token included in the request is invalid.")


def test_assumed_role_sessions_are_evaluated_against_the_role(emulator, iam, enforced):
    iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCOUNT}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="auditor", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [_statement("Allow", "ecs:ListClusters")]}))
    keys = Keys(emulator, iam, "assumer", [
        _statement("Allow", "sts:AssumeRole", "arn:aws:iam::%s:role/auditor" % ACCOUNT)])
    creds = keys.client("sts").assume_role(RoleArn="arn:aws:iam::%s:role/auditor" % ACCOUNT,
                                           RoleSessionName="s1")["Credentials"]
    session = boto3.client("ecs", region_name=REGION, endpoint_url=emulator.url, config=NO_RETRY,
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
    session.list_clusters()
    _refused(lambda: session.create_cluster(clusterName="x"), "AccessDeniedException",
             _implicit("arn:aws:sts::%s:assumed-role/auditor/s1" % ACCOUNT, "ecs:CreateCluster", "*"))
    _refused(lambda: keys.client("sts").assume_role(RoleArn="arn:aws:iam::%s:role/ecsAnywhereRole" % ACCOUNT,
                                                    RoleSessionName="s2"), "AccessDenied")


def test_agents_calls_and_the_test_keys_are_not_evaluated(emulator, enforced, raw, ssm, ecs, role, cluster):
    activation = ssm.create_activation(IamRole=role)  # the fixed test keys: not IAM's, not evaluated
    status, body = raw.ssm("RegisterManagedInstance", dict(activation, PublicKey="k", PublicKeyType="Rsa",
                                                           Fingerprint="f"))
    assert status == 200
    instance = body["InstanceId"]
    status, token = raw.ssm("RequestManagedInstanceRoleToken", {"Fingerprint": "f", "InstanceId": instance})
    assert status == 200
    # The ECS agent signs (without a valid signature, as the stand-in does) with the role token SSM handed out.
    agent = {"Authorization": "AWS4-HMAC-SHA256 Credential=%s/20250101/%s/ecs/aws4_request, SignedHeaders=host, "
                              "Signature=0" % (token["AccessKeyId"], REGION),
             "X-Amz-Security-Token": token["SessionToken"]}
    status, body = raw.ecs("RegisterContainerInstance", {
        "cluster": "edge", "instanceIdentityDocument": json.dumps({"instanceId": instance})}, headers=agent)
    assert status == 200, body
    status, body = raw.ssm("UpdateInstanceInformation", {"InstanceId": instance, "AgentVersion": "3.3.1957.0"})
    assert status == 200, body


def test_reset_turns_enforcement_back_to_the_startup_value(emulator, set_config):
    assert set_config(enforce_iam=True)["enforce_iam"] is True
    emulator.reset()
    assert emulator._call("GET", "/_emulator/config")["enforce_iam"] is False
