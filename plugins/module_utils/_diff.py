# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small difference tracker feeding both `changed` and Ansible's --diff output."""


class DifferenceTracker:
    def __init__(self):
        self._entries = []

    def add(self, name, before=None, after=None):
        self._entries.append((name, before, after))

    @property
    def has_changes(self):
        return any(before != after for _name, before, after in self._entries)

    def changed_names(self):
        return [name for name, before, after in self._entries if before != after]

    def as_diff(self):
        """{'before': {...}, 'after': {...}} holding only the entries that changed."""
        before, after = {}, {}
        for name, old, new in self._entries:
            if old != new:
                before[name] = old
                after[name] = new
        return {"before": before, "after": after}
