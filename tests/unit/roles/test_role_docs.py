"""Docs and specs agree: every public variable in defaults/ is in the argument spec with the
same default, and each README's variables section is exactly what the spec generates."""
import pytest
import yaml

from readme import REPO, ROLES, render


@pytest.mark.parametrize("role", ROLES)
def test_defaults_match_argument_spec(role):
    defaults = yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text())
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    assert set(defaults) == set(options)
    for name, value in defaults.items():
        assert name.startswith(role + "_")
        assert options[name].get("default") == value, name
        assert options[name].get("description"), name


@pytest.mark.parametrize("role", ROLES)
def test_readme_matches_argument_spec(role):
    text = (REPO / "roles" / role / "README.md").read_text()
    assert render(role, text) == text, "run: python tests/unit/roles/readme.py"


@pytest.mark.parametrize("role", ROLES)
def test_meta_matches_galaxy_and_runtime(role):
    """A role's galaxy_info says what the collection declares: its licence (galaxy.yml) and the
    lowest ansible-core it supports (meta/runtime.yml requires_ansible)."""
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    info = yaml.safe_load((REPO / "roles" / role / "meta" / "main.yml").read_text())["galaxy_info"]
    assert [info["license"]] == galaxy["license"]
    assert runtime["requires_ansible"] == ">=" + str(info["min_ansible_version"])
