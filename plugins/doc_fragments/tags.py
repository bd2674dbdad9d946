# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The tags of an existing resource, as amazon.aws's tags fragment has them, with the limits and value spelling
    # this collection checks before calling AWS (_user_input.py).
    DOCUMENTATION = r"""
options:
  tags:
    description:
      - Tags the resource should carry. Unset leaves tags alone.
      - At most 50 tags; keys 1-128 and values 0-256 characters; keys may not start with V(aws:).
      - Booleans are stored as V(true) / V(false) and numbers as their digits; a V(null) value is refused.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Remove tags not listed in O(tags). Ignored when O(tags) is unset. Tags starting with V(aws:) are never removed.
    type: bool
    default: true
"""
