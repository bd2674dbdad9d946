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
