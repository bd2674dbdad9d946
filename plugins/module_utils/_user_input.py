# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tag and attribute values as users write them in YAML, turned into what AWS stores, or refused by name.

YAML gives booleans, numbers and null where AWS wants strings. Booleans become `true` / `false`
(how YAML, JSON and the AWS CLI spell them, not Python's `True`), numbers their decimal text; a null
tag value is refused naming the key (SSM has no valueless tag, and `None` stored as text is never what
was meant); lists and mappings are refused. Checks follow AWS's documented rules (see _batching).
"""

import unicodedata

from ._batching import ECS_ATTRIBUTE_NAME_LENGTH
from ._batching import ECS_ATTRIBUTE_VALUE_LENGTH
from ._batching import ECS_ATTRIBUTES_PER_RESOURCE
from ._batching import ECS_TAG_KEY_LENGTH
from ._batching import ECS_TAG_VALUE_LENGTH
from ._batching import ECS_TAGS_PER_RESOURCE
from ._batching import SSM_TAG_KEY_LENGTH
from ._batching import SSM_TAG_VALUE_LENGTH
from ._batching import SSM_TAGS_PER_RESOURCE
from ._errors import FleetError

TAG_RULES = {
    "ecs": (ECS_TAG_KEY_LENGTH, ECS_TAG_VALUE_LENGTH, ECS_TAGS_PER_RESOURCE),
    "ssm": (SSM_TAG_KEY_LENGTH, SSM_TAG_VALUE_LENGTH, SSM_TAGS_PER_RESOURCE),
}
_TAG_PUNCTUATION = set("_.:/=+-@")
_ATTRIBUTE_NAME_PUNCTUATION = set("-_/\\.")
_ATTRIBUTE_VALUE_PUNCTUATION = set("-_.@/\\: ")


def text_value(value, what):
    """The string AWS should store for a YAML scalar; FleetError naming `what` for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    if value is None:
        raise FleetError(f"{what} has no value (null); give a string (quote it, or '' for an empty value). Nothing was changed.")
    raise FleetError(f"{what} must be a string, number or boolean, got a {type(value).__name__}. Nothing was changed.")


def normalize_tags(tags, option="tags"):
    """{key: value} with every key and value as AWS stores them (see module docstring)."""
    return {text_value(k, f"a key of {option}"): text_value(v, f"{option} '{k}'") for k, v in (tags or {}).items()}


def _is_tag_text(text):
    """AWS's tag pattern [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*: letters, separators (spaces), numbers and a few signs; no control characters."""
    return all(unicodedata.category(c)[0] in "LZN" or c in _TAG_PUNCTUATION for c in text)


def check_tags(tags, service, option="tags", existing=0):
    """Raise FleetError for tags AWS would refuse; `existing` is how many other tags the resource keeps."""
    key_max, value_max, count_max = TAG_RULES[service]
    problems = []
    for key, value in tags.items():
        if not 1 <= len(key) <= key_max or not _is_tag_text(key):
            problems.append(f"key '{key}' must be 1-{key_max} letters, digits, spaces or _ . : / = + - @")
        elif key.lower().startswith("aws:"):
            problems.append(f"key '{key}' starts with aws:, which AWS reserves")
        if len(value) > value_max or not _is_tag_text(value):
            problems.append(f"the value of '{key}' must be 0-{value_max} letters, digits, spaces or _ . : / = + - @")
    if existing + len(tags) > count_max:
        problems.append(f"a resource carries at most {count_max} tags, this would make {existing + len(tags)}")
    if problems:
        raise FleetError(f"Invalid {option}: " + "; ".join(problems) + ". Fix them and run again. Nothing was changed.")


def attribute_value(name, value):
    """An ECS attribute value as stored: None stays None (a valueless attribute), scalars become text."""
    return None if value is None else text_value(value, f"attribute '{name}'")


def check_attributes(put, names, total):
    """Raise FleetError for attribute names/values ECS would refuse, or more than 10 custom attributes in all.

    put: {name: value} to write; names: every name given (put and removed); total: the custom attributes the
    instance would carry afterwards.
    """
    problems = []
    for name in names:
        if not 1 <= len(name) <= ECS_ATTRIBUTE_NAME_LENGTH or not all(c.isascii() and (c.isalnum() or c in _ATTRIBUTE_NAME_PUNCTUATION) for c in name):
            problems.append(f"name '{name}' must be 1-{ECS_ATTRIBUTE_NAME_LENGTH} letters, digits or - _ / \\ .")
    for name, value in put.items():
        if value is None:
            continue
        if not 1 <= len(value) <= ECS_ATTRIBUTE_VALUE_LENGTH or value != value.strip(" ") or \
                not all(c.isascii() and (c.isalnum() or c in _ATTRIBUTE_VALUE_PUNCTUATION) for c in value):
            problems.append(f"the value of '{name}' must be 1-{ECS_ATTRIBUTE_VALUE_LENGTH} letters, digits, spaces or - _ . @ / \\ : "
                            "and not start or end with a space (null for no value)")
    if total > ECS_ATTRIBUTES_PER_RESOURCE:
        problems.append(f"a container instance carries at most {ECS_ATTRIBUTES_PER_RESOURCE} custom attributes, this would make {total} "
                        "(remove some with remove_attributes)")
    if problems:
        raise FleetError("Invalid attributes: " + "; ".join(problems) + ". Nothing was changed.")
