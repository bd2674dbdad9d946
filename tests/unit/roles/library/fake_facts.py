#!/usr/bin/python
"""Test-only module: return the given dict as ansible_facts.

Lets the rendering tests pose as any distribution/architecture without a
host: the role's first_found OS data and Jinja URL logic then resolve
exactly as they would after real fact gathering.
"""
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"facts": {"type": "dict", "required": True}},
                           supports_check_mode=True)
    module.exit_json(changed=False, ansible_facts=module.params["facts"])


if __name__ == "__main__":
    main()
