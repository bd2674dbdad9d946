"""Generate the variables section of each role's README from meta/argument_specs.yml.

`python tests/unit/roles/readme.py` rewrites the section between the markers;
test_role_docs.py fails when a README and its argument spec disagree.
"""
import json
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
ROLES = ("docker_engine", "ssm_agent", "ecs_agent", "signed_package", "host_proxy")
BEGIN = "<!-- BEGIN generated from meta/argument_specs.yml: do not edit -->"
END = "<!-- END generated -->"


def _text(value):
    if isinstance(value, list):
        value = " ".join(value)
    value = re.sub(r"[CVO]\(([^)]*)\)", r"`\1`", value)
    value = re.sub(r"M\(([^)]*)\)", r"`\1`", value)
    return value.replace("|", "\\|").replace("\n", " ")


def _default(value):
    if isinstance(value, str):
        return "`%s`" % (json.dumps(value) if value == "" else value).replace("|", "\\|")
    return "`%s`" % json.dumps(value).replace("|", "\\|")


def section(role):
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    lines = [BEGIN, ""]
    for entry, data in spec.items():
        lines += ["### Entry point `%s`" % entry, "", _text(data.get("short_description", "")), "",
                  "| Variable | Type | Default | Description |", "|---|---|---|---|"]
        for name, opt in data["options"].items():
            typ = opt.get("type", "str")
            if typ == "list":
                typ = "list of %s" % opt.get("elements", "str")
            if "choices" in opt:
                typ += " (%s)" % ", ".join(str(c) for c in opt["choices"])
            default = "required" if opt.get("required") else _default(opt.get("default"))
            lines.append("| `%s` | %s | %s | %s |" % (name, typ, default, _text(opt["description"])))
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def render(role, text):
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit("%s README has no generated section markers" % role)
    return pattern.sub(lambda _: section(role), text)


if __name__ == "__main__":
    for role in ROLES:
        path = REPO / "roles" / role / "README.md"
        path.write_text(render(role, path.read_text()))
        print("wrote", path, file=sys.stderr)
