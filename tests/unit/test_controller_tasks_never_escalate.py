"""Every task the playbooks and roles run on the controller sets the variable `ansible_become: false`.

The `become: false` keyword is not enough: Ansible lets an inventory's `ansible_become` override it, and
the implicit localhost inherits what `all` sets. A controller user without sudo then fails ("sudo: a
password is required"; found by test_playbooks_safety.py::test_a_controller_without_root_drains_and_registers).
"""
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FILES = sorted(list((REPO / "playbooks").glob("*.yml")) + list((REPO / "playbooks" / "tasks").glob("*.yml"))
               + list((REPO / "roles").glob("*/tasks/*.yml")))
NESTED = ("block", "rescue", "always")


def controller_tasks(tasks, inherited_vars, inherited_delegate, where):
    """(where, task name, effective vars) of every task that runs delegated to localhost."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        scope = dict(inherited_vars, **(task.get("vars") or {}))
        apply = (task.get("ansible.builtin.include_tasks") or {}) if isinstance(
            task.get("ansible.builtin.include_tasks"), dict) else {}
        scope.update((apply.get("apply") or {}).get("vars") or {})
        delegate = task.get("delegate_to", inherited_delegate)
        if any(key in task for key in NESTED):
            for key in NESTED:
                yield from controller_tasks(task.get(key), scope, delegate, where)
        elif delegate == "localhost":
            yield where, task.get("name", "?"), scope


def all_controller_tasks():
    for path in FILES:
        where = str(path.relative_to(REPO))
        content = yaml.safe_load(path.read_text()) or []
        if content and isinstance(content[0], dict) and "hosts" in content[0]:
            for play in content:
                local = play.get("hosts") == "localhost"
                play_vars = play.get("vars") or {}
                if local:
                    yield where, "play " + play.get("name", "?"), play_vars
                for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                    yield from controller_tasks(play.get(key), play_vars, None, where)
        else:
            yield from controller_tasks(content, {}, None, where)


def test_the_walk_finds_the_controller_tasks():
    found = list(all_controller_tasks())
    assert len(found) >= 20, found  # the API calls, downloads and reports of three playbooks and four roles
    assert {where.split("/")[0] for where, _name, _vars in found} == {"playbooks", "roles"}


@pytest.mark.parametrize("where,name,scope", list(all_controller_tasks()),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_controller_task_sets_ansible_become_false(where, name, scope):
    assert scope.get("ansible_become") is False, "%s: %r runs on the controller and may escalate" % (where, name)
