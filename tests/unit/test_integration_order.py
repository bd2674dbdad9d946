"""tools/integration_order.py: the integration files are handed to workers heaviest first."""
import importlib.util
from pathlib import Path

# tools/ is not part of the collection (galaxy.yml build_ignore): load the file itself.
_SPEC = importlib.util.spec_from_file_location(
    "integration_order", Path(__file__).resolve().parents[2] / "tools" / "integration_order.py")
ORDER = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ORDER)
file_of, heaviest_first, seconds_per_file = ORDER.file_of, ORDER.heaviest_first, ORDER.seconds_per_file

JUNIT = """<?xml version="1.0"?><testsuites><testsuite name="pytest">
<testcase classname="tests.integration.test_roles_hosts" name="test_a" time="100.4"/>
<testcase classname="tests.integration.test_roles_hosts" name="test_b" time="20.2"/>
<testcase classname="tests.integration.reliability.test_fault_hosts" name="test_c" time="300"/>
<testcase classname="tests.integration.test_module_common.TestRetries" name="test_d" time="1.6"/>
<testcase classname="tests.integration.test_gone" name="test_e" time="9"/>
</testsuite></testsuites>
"""


def test_a_report_gives_the_seconds_of_each_file_that_exists():
    assert seconds_per_file(JUNIT) == {
        "tests/integration/reliability/test_fault_hosts.py": 300,
        "tests/integration/test_module_common.py": 2,
        "tests/integration/test_roles_hosts.py": 121,
    }


def test_a_class_inside_a_module_belongs_to_the_module():
    assert file_of("tests.integration.test_module_common.TestRetries") == "tests/integration/test_module_common.py"
    assert file_of("tests.integration.test_gone") is None


def test_heaviest_first_with_unknown_files_at_the_median_and_ties_in_collection_order():
    seconds = {"a.py": 10, "b.py": 500, "c.py": 40, "d.py": 40}
    assert heaviest_first(["a.py", "new.py", "c.py", "b.py", "d.py"], seconds) == ["b.py", "new.py", "c.py", "d.py", "a.py"]


def test_without_weights_the_collection_order_stays():
    assert heaviest_first(["x.py", "y.py", "a.py"], {}) == ["x.py", "y.py", "a.py"]
