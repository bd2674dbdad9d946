# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # ansible.builtin.action_common_attributes describes check_mode, diff_mode and platform; these say what the
    # modules here support. A module's own attribute entries (details) merge over them.

    # Membership of the collection's action group, shared by every AWS module here.
    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/hybridfleet.ecs_anywhere.aws) in C(module_defaults) to set the AWS options once.
    support: full
    membership:
      - hybridfleet.ecs_anywhere.aws
"""

    # Modules that change AWS resources: they predict in check mode and report before/after in diff mode.
    STATE = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
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
"""
