"""README.md is the collection's Galaxy page: what it tells a user to type must work as written.

Everything the page names is checked against the file that defines it: the quick start's `--limit` hosts against
inventory/example, its agent versions against the pin and the versions the sandbox builds, the tarball against
galaxy.yml and `make build`'s output path, every path and link against the tree, every `make X` against the
Makefile. (The page once said `--limit edge-07`, which is no example host, and "updated" to the version the fleet
was already pinned at.)
"""
import re
import shlex
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
TARBALL = re.compile(r"([A-Za-z0-9_]+)-([A-Za-z0-9_]+)-([0-9][A-Za-z0-9.+-]*?)\.tar\.gz")


def section(text, title):
    """The text of the `## title...` section, up to the next `## ` heading."""
    match = re.search(r"^## %s.*?$(.*?)(?=^## |\Z)" % re.escape(title), text, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## %s' section" % title
    return match.group(1)


def commands(block):
    """The shell commands of a code block: continuation lines joined, comments dropped, each split as sh does."""
    joined = block.replace("\\\n", " ")
    return [argv for argv in (shlex.split(line, comments=True) for line in joined.splitlines()) if argv]


def quickstart():
    blocks = [code for lang, code in FENCE.findall(section(README, "Quick start")) if lang == "sh"]
    assert blocks, "the quick start has no ```sh block"
    cmds = commands(blocks[0])
    assert cmds, "the quick start's code block has no command"
    return cmds


def option_values(argv, *flags):
    """Every value given to one of `flags` (`--limit X`, `--limit=X`, `-e X`)."""
    values = []
    for i, arg in enumerate(argv):
        for flag in flags:
            if arg == flag and i + 1 < len(argv):
                values.append(argv[i + 1])
            elif flag.startswith("--") and arg.startswith(flag + "="):
                values.append(arg.split("=", 1)[1])
    return values


def extra_vars(argv):
    """key=value pairs of every -e / --extra-vars of a command."""
    pairs = {}
    for value in option_values(argv, "-e", "--extra-vars"):
        for item in shlex.split(value):
            key, sep, val = item.partition("=")
            assert sep, "not key=value in -e %r: the quick start uses the key=value form" % value
            pairs[key] = val
    return pairs


def inventory_hosts(node):
    """Host names of a YAML inventory group tree."""
    hosts = set((node or {}).get("hosts") or {})
    for child in ((node or {}).get("children") or {}).values():
        hosts |= inventory_hosts(child)
    return hosts


def example_hosts():
    hosts = inventory_hosts(yaml.safe_load((REPO / "inventory" / "example" / "hosts.yml").read_text())["all"])
    assert hosts, "inventory/example/hosts.yml lists no host"
    return hosts


def default_pins():
    """The ECS agent pin: the role's default, and the worked inventory's own where it sets one."""
    pins = {yaml.safe_load((REPO / "roles" / "ecs_agent" / "defaults" / "main.yml").read_text())["ecs_agent_version"]}
    for path in (REPO / "inventory" / "example" / "group_vars").glob("*.yml"):
        pinned = (yaml.safe_load(path.read_text()) or {}).get("ecs_agent_version")
        if pinned:
            pins.add(pinned)
    return pins


def sandbox_versions(package="amazon-ecs-init"):
    lines = (REPO / "tests" / "sandbox" / "agents" / "versions").read_text().splitlines()
    versions = [line.split()[1] for line in lines if line.strip() and not line.startswith("#") and line.split()[0] == package]
    assert versions, "tests/sandbox/agents/versions lists no %s" % package
    return versions


def version_key(version):
    return tuple(int(part) for part in re.split(r"[.-]", version))


def make_targets():
    """Every target of the Makefile and mk/*.mk (rule lines `a b: ...`, not `VAR := ...`)."""
    targets = set()
    for path in [REPO / "Makefile"] + sorted((REPO / "mk").glob("*.mk")):
        for match in re.finditer(r"^([A-Za-z0-9_./-][A-Za-z0-9_./ -]*):(?![=:])", path.read_text(), re.MULTILINE):
            targets.update(match.group(1).split())
    return targets


def build_output_dir():
    """Where `make build` writes the tarball: its `--output-path`, with the Makefile's variables resolved."""
    makefile = (REPO / "Makefile").read_text()
    recipe = re.search(r"^build:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no build target"
    output = re.search(r"--output-path\s+(\S+)", recipe.group(1))
    assert output, "make build names no --output-path"
    variables = dict(re.findall(r"^([A-Z_]+)\s*:?=\s*(\S+)\s*$", makefile, re.MULTILINE))
    return re.sub(r"\$\((\w+)\)", lambda m: variables[m.group(1)], output.group(1))


def galaxy_tarball():
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    return "%(namespace)s-%(name)s-%(version)s.tar.gz" % galaxy


def slug(heading):
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path):
    return {slug(h) for h in re.findall(r"^#+ (.*)$", path.read_text(), re.MULTILINE)}


def test_the_page_opens_with_make_demo_and_make_test():
    first = FENCE.findall(README)[0][1]
    assert [line.split("#")[0].strip() for line in first.splitlines() if line.strip()] == ["make demo", "make test"]


def test_every_limit_in_the_quick_start_names_a_host_of_the_example_inventory():
    hosts = example_hosts()
    limits = [value for argv in quickstart() for value in option_values(argv, "--limit", "-l")]
    assert limits, "the quick start never uses --limit"
    for limit in limits:
        for name in re.split(r"[,:]", limit):
            assert name in hosts, "--limit %s: no host %r in inventory/example (hosts: %s)" % (limit, name, sorted(hosts))


def test_every_agent_version_in_the_quick_start_is_a_real_change_the_sandbox_can_make():
    pins, built = default_pins(), sandbox_versions()
    changes = [(argv, extra_vars(argv)) for argv in quickstart() if "ecs_anywhere_agent_version" in extra_vars(argv)]
    assert changes, "the quick start never sets ecs_anywhere_agent_version"
    for argv, evars in changes:
        version = evars["ecs_anywhere_agent_version"]
        assert version not in pins, "ecs_anywhere_agent_version=%s is the default pin: the update changes nothing" % version
        assert version in built, "ecs_anywhere_agent_version=%s is not a version the sandbox builds (%s)" % (version, built)
        if any(version_key(version) < version_key(pin) for pin in pins):
            assert evars.get("ecs_anywhere_allow_downgrade") == "true", (
                "%s is older than the pin %s: agent_update refuses it without ecs_anywhere_allow_downgrade=true" % (version, pins))


def test_the_quick_start_names_existing_playbooks_and_inventories_and_limits_every_drain():
    cmds = quickstart()
    playbooks = [arg.split(".", 2)[2] for argv in cmds if argv[0] == "ansible-playbook"
                 for arg in argv if arg.startswith("hybridfleet.ecs_anywhere.")]
    assert set(playbooks) >= {"register", "agent_update", "drain_and_deregister"}, playbooks
    for name in playbooks:
        assert (REPO / "playbooks" / (name + ".yml")).is_file(), "no playbook %s in playbooks/" % name
    for argv in cmds:
        for inventory in option_values(argv, "-i", "--inventory"):
            assert (REPO / inventory).exists(), "-i %s does not exist" % inventory
        if "hybridfleet.ecs_anywhere.drain_and_deregister" in argv:
            assert option_values(argv, "--limit", "-l") or extra_vars(argv).get("ecs_anywhere_confirm_all") == "true", (
                "drain_and_deregister without --limit is refused: %s" % " ".join(argv))


def test_the_tarball_is_the_one_make_build_writes():
    expected, dist = galaxy_tarball(), build_output_dir()
    named = ["-".join(m.groups()) + ".tar.gz" for m in TARBALL.finditer(README)]
    assert named, "README.md names no tarball"
    assert set(named) == {expected}, "README.md names %s; make build writes %s" % (sorted(set(named)), expected)
    assert "%s/%s" % (dist, expected) in README, "README.md never gives the path make build writes: %s/%s" % (dist, expected)


def test_the_execution_environment_guide_installs_that_tarball():
    """docs/awx.md: the EE definition copies the built tarball into the build context and installs it from there.

    ansible-builder copies `additional_build_files` to `_build/<dest>/` of its context and runs
    `ansible-galaxy collection install -r requirements.yml` in /build, where `_build/` lands."""
    expected = "%s/%s" % (build_output_dir(), galaxy_tarball())
    awx = (REPO / "docs" / "awx.md").read_text()
    named = {"-".join(m.groups()) + ".tar.gz" for m in TARBALL.finditer(awx)}
    assert named == {galaxy_tarball()}, named
    definitions = [yaml.safe_load(code) for lang, code in FENCE.findall(awx)
                   if lang == "yaml" and "additional_build_files" in code]
    assert len(definitions) == 1, "docs/awx.md has no execution-environment.yml with additional_build_files"
    ee = definitions[0]
    assert ee["version"] == 3
    copied = [f for f in ee["additional_build_files"] if f["src"] == expected]
    assert copied, "the EE copies %s, not %s" % ([f["src"] for f in ee["additional_build_files"]], expected)
    in_context = "%s/%s" % (copied[0]["dest"].rstrip("/"), galaxy_tarball())
    collections = ee["dependencies"]["galaxy"]["collections"]
    assert {"name": in_context, "type": "file"} in collections, collections


def test_every_path_and_link_the_readme_names_exists():
    tracked_top = {p.name for p in REPO.iterdir() if not p.name.startswith(".")}
    checked = []
    for target in re.findall(r"\]\(([^)\s]+)\)", README):
        assert not re.match(r"[a-z]+:", target), "README.md links outside the repository: %s" % target
        path, anchor = target.partition("#")[::2]
        if path:
            assert (REPO / path).exists(), "README.md links %s, which does not exist" % path
            checked.append(path)
        if anchor:
            assert slug(anchor) in anchors(REPO / path if path else REPO / "README.md"), "no heading for #%s in %s" % (
                anchor, path or "README.md")
    for token in re.findall(r"`([^`\s]+)`", README):
        path = token.split("::")[0]
        if path.split("/")[0] in tracked_top and ("/" in path or (REPO / path).is_file()):
            assert list(REPO.glob(path)), "README.md names %s, which does not exist" % path
            checked.append(path)
    assert "docs/iam-policy.json" in checked and "tests/integration/test_iam_policy.py" in checked


def test_every_make_target_the_readme_names_exists():
    targets = make_targets()
    named = set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", README))
    assert {"demo", "test", "build"} <= named
    missing = sorted(named - targets)
    assert not missing, "README.md names make targets that do not exist: %s" % missing


def test_the_readme_refers_to_nothing_outside_the_repository():
    assert not re.search(r"https?://", README), re.findall(r"https?://\S+", README)
    assert "/work/" not in README
