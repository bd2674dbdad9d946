# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Every module here is in the collection's action group; ansible.builtin.action_common_attributes describes
    # check_mode, diff_mode and platform. A module's own attribute entries (details) merge over these. Each
    # fragment is one literal: ansible-test reads them without running Python.

    # Modules that change AWS resources: they predict in check mode and report before/after in diff mode.
    STATE = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
  action_group:
    description: Use C(group/hybridfleet.ecs_anywhere.aws) in C(module_defaults) to set the AWS options once.
    support: full
    membership:
      - hybridfleet.ecs_anywhere.aws
"""

    # Modules that only read (the _info modules) or, like ssm_command, act without a state to compare.
    NO_DIFF = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
  action_group:
    description: Use C(group/hybridfleet.ecs_anywhere.aws) in C(module_defaults) to set the AWS options once.
    support: full
    membership:
      - hybridfleet.ecs_anywhere.aws
"""
