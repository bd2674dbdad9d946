# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choosing each host's inventory name from a preference list, without letting two hosts merge."""

# Preference keyword -> shaped managed-instance key.
HOSTNAME_SOURCES = {
    "computer_name": "computer_name",
    "ip_address": "ip_address",
    "instance_id": "instance_id",
    "name": "name",
}


def candidate_names(ssm, preferences):
    """Non-empty names for one shaped managed instance, in preference order, the instance id last.

    The managed instance id always ends the list: it is unique, so every host gets a name.
    """
    names = []
    for preference in list(preferences) + ["instance_id"]:
        value = ssm.get(HOSTNAME_SOURCES[preference])
        if value and value not in names:
            names.append(str(value))
    return names


def assign_hostnames(ssm_records, preferences):
    """([(name, record)], [collision messages]) with unique names.

    Computer names and private IPs repeat across sites; two hosts given one name would silently
    merge into one inventory host, so a later host falls back to its next preference instead.
    """
    taken = set()
    named, collisions = [], []
    for record in ssm_records:
        candidates = candidate_names(record["ssm"], preferences)
        chosen = next((name for name in candidates if name not in taken), None)
        if chosen is None:
            # Only when one managed instance id is listed twice (e.g. the same region configured twice).
            chosen = _numbered(candidates[-1], taken)
        if chosen != candidates[0]:
            collisions.append(f"{record['ssm'].get('instance_id')}: {candidates[0]!r} is already used by another host, named {chosen!r} instead")
        taken.add(chosen)
        named.append((chosen, record))
    return named, collisions


def _numbered(name, taken):
    number = 2
    while f"{name}_{number}" in taken:
        number += 1
    return f"{name}_{number}"
