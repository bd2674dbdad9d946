#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ssm_activation
version_added: 0.1.0
short_description: Create and delete SSM hybrid activations
description:
  - Creates an AWS Systems Manager hybrid activation, the id and code that on-premises servers use
    to register as managed instances (the first step of joining ECS Anywhere), or deletes activations.
  - B(Creation is not idempotent.) AWS returns an activation's code only in the response that creates
    it, so every run with O(state=present) and no O(activation_id) creates a new activation. Create one
    per enrollment run with a short O(expiration) and delete it afterwards with O(state=absent).
  - With O(state=present) and O(activation_id), the module only checks that the activation exists
    and returns it (without its code); it fails if it does not exist.
  - With O(state=absent), deletes every activation matching all of O(activation_id), O(default_instance_name),
    O(tags) and O(expired) that are given. With O(activation_id) and O(tags), the activation is deleted only
    if it carries those tags (otherwise nothing is deleted, with a warning). Without O(activation_id), every
    match is deleted, so a run that tags its activation with a unique run id can delete it, and any duplicate
    a retried CreateActivation left behind, with O(tags) alone.
  - The returned activation code is a secret. Set C(no_log) to V(true) on the task and pass the code on
    only to the hosts that register.
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  state:
    description:
      - V(present) creates an activation (or, with O(activation_id), asserts it exists).
      - V(absent) deletes activations.
    type: str
    choices: [present, absent]
    default: present
  activation_id:
    description:
      - The activation to check for (O(state=present)) or delete (O(state=absent)).
    type: str
  iam_role:
    description:
      - IAM service role that registered instances assume, for example V(ecsAnywhereRole).
      - Required to create an activation.
    type: str
  registration_limit:
    description:
      - How many instances may register with the activation, between 1 and 1000. Use the number of
        hosts being enrolled.
    type: int
    default: 1
  default_instance_name:
    description:
      - Name given to instances registered with the activation.
      - With O(state=absent), deletes only activations with this default instance name.
    type: str
  description:
    description:
      - Description of the activation.
    type: str
  expiration:
    description:
      - When the activation expires, either relative to now (V(90m), V(2h), V(7d); units s, m, h, d, w)
        or as an absolute ISO-8601 date-time such as V(2026-12-01T12:00:00Z). At most 30 days ahead.
    type: str
    default: 2h
  tags:
    description:
      - Tags for a new activation (at most 50; keys 1-128 and values 0-256 characters; keys may not start with V(aws:)).
      - With O(state=absent), deletes only activations carrying all of these tags.
      - Booleans are stored as V(true) / V(false) and numbers as their digits; a V(null) value is refused.
    type: dict
  expired:
    description:
      - With O(state=absent), V(true) deletes only expired activations and V(false) only unexpired ones.
    type: bool
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
  - hybridfleet.ecs_anywhere.attributes.STATE
attributes:
  check_mode:
    details: In check mode nothing is created or deleted and no code is returned.
"""

EXAMPLES = r"""
- name: Create an activation for the hosts being enrolled
  hybridfleet.ecs_anywhere.ssm_activation:
    iam_role: ecsAnywhereRole
    registration_limit: "{{ groups['edge'] | length }}"
    default_instance_name: edge
    expiration: 2h
    tags:
      purpose: ecs-anywhere
  register: activation
  no_log: true

- name: Make sure a known activation still exists
  hybridfleet.ecs_anywhere.ssm_activation:
    activation_id: "{{ activation.activation.id }}"

- name: Delete it once the hosts are registered
  hybridfleet.ecs_anywhere.ssm_activation:
    state: absent
    activation_id: "{{ activation.activation.id }}"

- name: Clean up every expired activation made for ECS Anywhere
  hybridfleet.ecs_anywhere.ssm_activation:
    state: absent
    expired: true
    tags:
      purpose: ecs-anywhere

- name: Create this run's activation, tagged with a unique run id
  hybridfleet.ecs_anywhere.ssm_activation:
    iam_role: ecsAnywhereRole
    registration_limit: "{{ ansible_play_hosts | length }}"
    tags:
      hybridfleet-run: "{{ run_id }}"
  register: activation
  no_log: true

- name: Delete every activation of this run (a retried CreateActivation may have made two)
  hybridfleet.ecs_anywhere.ssm_activation:
    state: absent
    tags:
      hybridfleet-run: "{{ run_id }}"
"""

RETURN = r"""
activation:
  description: The activation created or checked. Not returned with O(state=absent).
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Activation id. V(null) in check mode when it would be created.
      type: str
      sample: 8b5a3b8e-3f0e-4c1e-9a53-5e0c7e3b2a11
    code:
      description:
        - B(Secret.) The activation code; hosts need it with the id to register.
        - Returned only when the activation was created by this task (AWS never returns it again).
      type: str
      returned: when created
    description:
      description: Description.
      type: str
    default_instance_name:
      description: Name given to registered instances.
      type: str
    iam_role:
      description: IAM service role.
      type: str
    registration_limit:
      description: Maximum number of registrations.
      type: int
    registrations_count:
      description: Registrations so far.
      type: int
    expiration_date:
      description: Expiry (ISO-8601).
      type: str
    expired:
      description: Whether it has expired.
      type: bool
    created_date:
      description: Creation time (ISO-8601).
      type: str
    tags:
      description: Tags.
      type: dict
deleted_activations:
  description: The activations deleted (or that would be, in check mode). Same keys as RV(activation), without code.
  returned: when O(state=absent)
  type: list
  elements: dict
deleted_ids:
  description: The ids of RV(deleted_activations); empty when nothing matched (then C(changed) is V(false)).
  returned: when O(state=absent)
  type: list
  elements: str
  sample: ["8b5a3b8e-3f0e-4c1e-9a53-5e0c7e3b2a11", "0d6f3c51-8a0e-4b7e-a1c4-2f9e6d1b7a20"]
"""

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ssm
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import SSM_DEFAULT_INSTANCE_NAME_LENGTH
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import SSM_DESCRIPTION_LENGTH
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import SSM_REGISTRATION_LIMIT
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetAWSError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import error_code
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_activations
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import dict_to_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_activation
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._timeparse import ExpirationError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._timeparse import resolve_expiration
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import check_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import normalize_tags

MAX_REGISTRATIONS = SSM_REGISTRATION_LIMIT


class ActivationManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = module.client("ssm")

    def run(self):
        if self.params["state"] == "absent":
            return self.absent()
        if self.params["activation_id"]:
            return self.existing()
        return self.create()

    def _find_one(self, activation_id):
        found = find_activations(self.client, activation_ids=[activation_id])
        return found[0] if found else None

    def existing(self):
        activation = self._find_one(self.params["activation_id"])
        if activation is None:
            raise FleetError(
                f"Activation {self.params['activation_id']} does not exist (it may have been deleted after expiring). "
                "Omit activation_id to create a new activation.")
        return {"changed": False, "activation": activation}

    def _creation_request(self):
        p = self.params
        if not p["iam_role"]:
            raise FleetError("iam_role is required to create an activation; give the IAM service role the hosts will assume, such as ecsAnywhereRole.")
        if not 1 <= p["registration_limit"] <= MAX_REGISTRATIONS:
            raise FleetError(f"registration_limit must be between 1 and {MAX_REGISTRATIONS} (an SSM limit), got {p['registration_limit']}; "
                             f"give the number of hosts to enroll, and split more than {MAX_REGISTRATIONS} hosts over several activations.")
        try:
            expires = resolve_expiration(p["expiration"])
        except ExpirationError as e:
            raise FleetError(str(e)) from e
        for option, limit in (("description", SSM_DESCRIPTION_LENGTH), ("default_instance_name", SSM_DEFAULT_INSTANCE_NAME_LENGTH)):
            if len(p[option] or "") > limit:
                raise FleetError(f"{option} is {len(p[option])} characters long; SSM accepts at most {limit}. Shorten it.")
        tags = normalize_tags(p["tags"])
        check_tags(tags, "ssm")
        request = {"IamRole": p["iam_role"], "RegistrationLimit": p["registration_limit"], "ExpirationDate": expires}
        if p["default_instance_name"]:
            request["DefaultInstanceName"] = p["default_instance_name"]
        if p["description"]:
            request["Description"] = p["description"]
        if tags:
            request["Tags"] = dict_to_tags(tags)
        return request

    @staticmethod
    def _explain_role(error, role):
        """SSM answers a missing role (or one SSM may not assume) with a bare ValidationException; say what to do."""
        detail = str(error.exception)
        if error_code(error.exception) != "ValidationException" or "role" not in detail.lower():
            return error
        return FleetError(
            f"Failed to create the SSM activation: IAM role {role} does not exist or does not trust ssm.amazonaws.com "
            f"({detail.rsplit(': ', 1)[-1]}). Create it with a trust policy for ssm.amazonaws.com and the AmazonSSMManagedInstanceCore "
            "and AmazonEC2ContainerServiceforEC2Role managed policies "
            "(the register playbook does this with ecs_anywhere_create_iam_role: true), or set iam_role to an existing role. "
            "No activation was created.")

    def create(self):
        request = self._creation_request()
        predicted = shape_activation(dict(request, ActivationId=None))
        result = {"changed": True, "diff": {"before": {}, "after": predicted}}
        if self.module.check_mode:
            result["activation"] = predicted
            return result
        try:
            created = _ssm.create_activation(self.client, **request)
        except FleetAWSError as e:
            raise self._explain_role(e, request["IamRole"]) from e
        described = self._find_one(created["ActivationId"]) or shape_activation(dict(request, ActivationId=created["ActivationId"]))
        described["code"] = created["ActivationCode"]
        result["activation"] = described
        result["diff"]["after"] = {k: v for k, v in described.items() if k != "code"}
        return result

    def absent(self):
        p = self.params
        selectors = dict(default_instance_name=p["default_instance_name"], tags=normalize_tags(p["tags"]) or None, expired=p["expired"])
        if not (p["activation_id"] or any(v is not None for v in selectors.values())):
            raise FleetError("state=absent needs activation_id, or default_instance_name, tags or expired to choose what to delete; "
                             "refusing to delete every activation in the region.")
        ids = [p["activation_id"]] if p["activation_id"] else None
        targets = find_activations(self.client, activation_ids=ids, **selectors)
        if ids and not targets:
            self._explain_unmatched_id(p["activation_id"], selectors)
        deleted = []
        for activation in targets:
            if self.module.check_mode or _ssm.delete_activation(self.client, activation["id"]):
                deleted.append(activation)
        return {
            "changed": bool(deleted),
            "deleted_activations": deleted,
            "deleted_ids": [a["id"] for a in deleted],
            "diff": {"before": {"activations": [a["id"] for a in deleted]}, "after": {"activations": []}},
        }

    def _explain_unmatched_id(self, activation_id, selectors):
        """activation_id with tags (or other criteria) deletes only a match: say so when it exists but does not match."""
        if not any(v is not None for v in selectors.values()) or not find_activations(self.client, activation_ids=[activation_id]):
            return
        given = ", ".join(f"{k}={v}" for k, v in selectors.items() if v is not None)
        self.module.warn(f"Activation {activation_id} exists but does not match {given}; it was not deleted. "
                         "Remove those options to delete it by id alone.")


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        activation_id=dict(type="str"),
        iam_role=dict(type="str"),
        registration_limit=dict(type="int", default=1),
        default_instance_name=dict(type="str"),
        description=dict(type="str"),
        expiration=dict(type="str", default="2h"),
        tags=dict(type="dict"),
        expired=dict(type="bool"),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True)
    run(module, ActivationManager)


if __name__ == "__main__":
    main()
