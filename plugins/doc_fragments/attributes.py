# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Membership of the collection's action group, shared by every AWS module here.
    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/hybridfleet.ecs_anywhere.aws) in C(module_defaults) to set the AWS options once.
    support: full
    membership:
      - hybridfleet.ecs_anywhere.aws
"""
