"""tools/failed_tests.py: the last lines of `make test` name each failed test and molecule scenario.

CI keeps only the tail of a run; a failure printed half an hour earlier is lost there.
"""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "failed_tests.py"

JUNIT = """<?xml version="1.0"?><testsuites><testsuite name="pytest">
<testcase classname="tests.integration.test_fleet" name="test_drain[c1]">
  <failure message="AssertionError: assert 'DRAINING' == 'ACTIVE'&#10;second line">trace</failure></testcase>
<testcase classname="tests.integration.test_fleet" name="test_fine"/>
<testcase classname="tests.integration.test_fleet" name="test_setup"><error message="fixture failed">x</error></testcase>
</testsuite></testsuites>
"""

MOLECULE_LOG = """TASK [Gathering Facts] *********
ok: [hf-a]
TASK [hybridfleet.ecs_anywhere.ecs_agent : Wait for the container instance] *********
fatal: [hf-a]: FAILED! => {"msg": "not ACTIVE after 300 s"}
PLAY RECAP
"""


def summary(directory):
    return subprocess.run([sys.executable, str(TOOL), str(directory)], check=True, text=True,
                          capture_output=True).stdout.splitlines()


def test_names_failed_tests_errors_and_scenarios_one_line_each(tmp_path):
    (tmp_path / "integration.xml").write_text(JUNIT)
    (tmp_path / "molecule-register.log").write_text(MOLECULE_LOG)
    (tmp_path / "molecule-register.failed").touch()
    (tmp_path / "molecule-default.log").write_text("TASK [x]\nok: [hf-b]\n")  # passed: no marker

    lines = summary(tmp_path)

    assert lines[0] == "make test: what failed (3):"
    assert lines[1] == ("  integration: tests/integration/test_fleet::test_drain[c1] "
                        "AssertionError: assert 'DRAINING' == 'ACTIVE' second line")
    assert lines[2] == "  integration: tests/integration/test_fleet::test_setup fixture failed"
    assert lines[3].startswith("  molecule register: TASK [hybridfleet.ecs_anywhere.ecs_agent : Wait for the "
                               "container instance] fatal: [hf-a]: FAILED!")
    assert len(lines) == 4


def test_prints_nothing_when_all_passed_and_caps_a_long_list(tmp_path):
    passed = JUNIT.replace("<failure", "<skipped").replace("</failure>", "</skipped>")
    (tmp_path / "unit.xml").write_text(passed.replace("<error", "<skipped").replace("</error>", "</skipped>"))
    assert summary(tmp_path) == []

    many = "".join('<testcase classname="t" name="n%d"><failure message="m"/></testcase>' % i for i in range(45))
    (tmp_path / "unit.xml").write_text("<testsuites><testsuite>%s</testsuite></testsuites>" % many)
    lines = summary(tmp_path)
    assert lines[0] == "make test: what failed (45):"
    assert len(lines) == 32 and lines[-1].startswith("  ... and 15 more")
