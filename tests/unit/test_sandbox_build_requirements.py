"""`make build` installs requirements-build.txt only: ansible-core, at the version the tests run with."""
import re

from tests.sandbox.settings import REPO


def pins(path):
    found = {}
    for line in (REPO / path).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)$", line.strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_the_build_needs_ansible_core_alone_pinned_as_the_dev_toolchain():
    build = pins("requirements-build.txt")
    assert list(build) == ["ansible-core"]
    assert build["ansible-core"] == pins("requirements-dev.txt")["ansible-core"]


def test_make_build_does_not_depend_on_the_dev_venv():
    makefile = (REPO / "Makefile").read_text()
    (rule,) = re.findall(r"^build:([^\n#]*)", makefile, re.M)
    assert "venv" not in rule.replace("$(BUILD_VENV)", "")
    (recipe,) = re.findall(r"^build:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert "$(VENV)" not in recipe and "$(BUILD_VENV)/bin/ansible-galaxy" in recipe
