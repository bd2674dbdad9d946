"""IAM is stock moto, with the AWS managed policies an account really has."""
import json

import pytest


@pytest.mark.parametrize("policy", ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                                    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"])
def test_ecs_anywhere_role_policies_can_be_attached(iam, policy):
    iam.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="ecsAnywhereRole", PolicyArn=policy)
    attached = iam.list_attached_role_policies(RoleName="ecsAnywhereRole")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [policy]


def test_unknown_managed_policy_is_refused(iam, role):
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
