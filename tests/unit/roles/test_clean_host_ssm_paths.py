"""drain_and_deregister over SSM cleans a host with a script (playbooks/templates/clean_host_ssm.sh.j2) instead of the
roles' `state: absent` tasks, which need a connection. The script must remove what those tasks remove: every path is
read from the roles' own variables here, so a path added to a role and not to the script fails this test."""
import re

import jinja2
import pytest
import yaml

from conftest import REPO

SCRIPT = REPO / "playbooks" / "templates" / "clean_host_ssm.sh.j2"


def role_vars(role, kind):
    return yaml.safe_load((REPO / "roles" / role / kind / "main.yml").read_text())


def render(text, **values):
    return jinja2.Template(text).render(**values)


def proxy_files(name):
    host_proxy = role_vars("host_proxy", "vars")
    return [render(host_proxy[key], _host_proxy_dir=host_proxy["_host_proxy_dir"], host_proxy_name=name)
            for key in ("_host_proxy_env_file", "_host_proxy_apt_config")]


def ecs_paths():
    ecs_vars = role_vars("ecs_agent", "vars")
    return (ecs_vars["_ecs_agent_state_dirs"] + [ecs_vars["_ecs_agent_dropin_dir"],
                                                 role_vars("ecs_agent", "defaults")["ecs_agent_host_cache_dir"]]
            + proxy_files("ecs"))


def ssm_paths():
    ssm_vars = role_vars("ssm_agent", "vars")
    return (ssm_vars["_ssm_agent_state_dirs"]
            + [render(ssm_vars["_ssm_agent_dropin_dir"], _ssm_agent_service_name="amazon-ssm-agent"),
               role_vars("ssm_agent", "defaults")["ssm_agent_host_cache_dir"]]
            + proxy_files("amazon-ssm-agent"))


@pytest.mark.parametrize("paths", [ecs_paths, ssm_paths], ids=["ecs_agent", "ssm_agent"])
def test_the_script_removes_what_the_role_removes(paths):
    script = render(SCRIPT.read_text(), _ea_run_id="test", _ea_remove_packages=False, _ea_ssm_cleanup_delay=20)
    # The arguments of every rm -rf, continuation lines joined.
    removed = set(" ".join(re.findall(r"rm -rf ([^\n]+)", re.sub(r"\\\n\s*", " ", script))).split())
    wanted = paths()
    assert len(wanted) >= 7
    assert [p for p in wanted if p not in removed] == []
