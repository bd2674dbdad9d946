"""docs/inventory.md must not drift from the plugin and the playbook: its tables are checked against them."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_hostvars import ECS_VARS
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_hostvars import SSM_VARS

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "inventory.md").read_text()
ROW = re.compile(r"^\| `(\w+)` \| ([^|]+) \|", re.MULTILINE)


def documented_defaults(section):
    text = DOC.split(section, 1)[1].split("\n## ", 1)[0]
    return {name: default.strip() for name, default in ROW.findall(text)}


def plugin_doc():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"))
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "-t", "inventory", "--json", "hybridfleet.ecs_anywhere.fleet"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["hybridfleet.ecs_anywhere.fleet"]["doc"]


def test_option_table_matches_the_plugin_documentation():
    options = plugin_doc()["options"]
    table = documented_defaults("## Options")
    assert table, "no option rows found in docs/inventory.md"
    for name, default in table.items():
        assert name in options, f"docs/inventory.md documents an option the plugin lacks: {name}"
        if options[name].get("required"):
            assert default == "(required)", name
        else:
            quoted = re.match(r"`([^`]*)`", default)
            assert quoted, f"{name}: the default should be written as `value`"
            assert yaml.safe_load(quoted.group(1)) == options[name].get("default"), name
    own = {"clusters", "regions", "ping_status", "tag_filters", "include_ssm_tags", "hostnames", "ansible_host_from", "default_groups"}
    assert own <= set(table), own - set(table)


def test_every_host_variable_is_documented_in_both_places():
    notes = " ".join(plugin_doc()["notes"])
    for name in list(SSM_VARS.values()) + list(ECS_VARS.values()) + ["ssm_region", "ssm_tags", "ecs_duplicate_container_instance_arns"]:
        assert f"`{name}`" in DOC, f"{name} missing from docs/inventory.md"
        assert f"C({name})" in notes, f"{name} missing from the plugin's notes"


def test_playbook_variable_table_matches_the_playbook_defaults():
    play = yaml.safe_load((REPO / "playbooks" / "fleet_status.yml").read_text())[0]
    table = documented_defaults("## Fleet status report")
    assert set(table) == {k for k in play["vars"] if k.startswith("fleet_status_")}
    for name, default in table.items():
        value = play["vars"][name]
        if "{{" in str(value):
            continue  # computed at run time; the text explains it
        spelled = {True: "true", False: "false", "": '""'}.get(value, str(value)) if isinstance(value, (bool, str)) else str(value)
        assert default.strip("`") == spelled, name
