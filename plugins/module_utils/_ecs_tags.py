# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags of an existing ECS resource (cluster, service, task definition) made what the module was given."""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from . import _ecs
from ._shaping import dict_to_tags
from ._user_input import check_tags


def apply_ecs_tags(module, client, arn, current, wanted, purge, diff):
    """Tag and untag `arn` so its tags are `wanted` (others kept unless `purge`), recording the change in `diff`.

    `current` and `wanted` are dicts; `wanted` None leaves the tags alone. Nothing is called in check mode.
    Returns the tags after the change (predicted in check mode).
    """
    if wanted is None:
        return current
    to_set, to_remove = compare_aws_tags(current, wanted, purge)
    after = {k: v for k, v in current.items() if k not in to_remove}
    after.update(to_set)
    check_tags(to_set, "ecs", existing=len(after) - len(to_set))
    diff.add("tags", current, after)
    if not module.check_mode:
        if to_remove:
            _ecs.untag_resource(client, arn, to_remove)
        if to_set:
            _ecs.tag_resource(client, arn, dict_to_tags(to_set, key="key", value="value"))
    return after
