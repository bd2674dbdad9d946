"""Heaviest integration files first: the order the integration suite hands its files to workers.

With one file per worker (`--dist loadfile`), a long file handed out last runs alone at the end while
the other workers sit idle; handing out the longest first (LPT scheduling) keeps them busy together.
The weights are the seconds each file took in a measured run, read from that run's JUnit report:

    python tools/integration_order.py .build/test-reports/integration.xml > tests/integration/file_seconds.json

tests/integration/conftest.py orders the collected files by them (files without a figure go in the
middle, at the median); the Makefile keeps xdist from re-sorting them by test count.
"""
import json
import statistics
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def file_of(classname, repo=REPO):
    """tests.integration.reliability.test_x(.Class) -> tests/integration/reliability/test_x.py"""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        path = "/".join(parts[:end]) + ".py"
        if (repo / path).is_file():
            return path
    return None


def seconds_per_file(junit_text, repo=REPO):
    totals = {}
    for case in ET.fromstring(junit_text).iter("testcase"):
        path = file_of(case.get("classname", ""), repo)
        if path:
            totals[path] = totals.get(path, 0.0) + float(case.get("time") or 0)
    return {path: round(total) for path, total in sorted(totals.items())}


def heaviest_first(files, seconds):
    """`files` (each once, in collection order) sorted by weight, heaviest first; ties keep their order."""
    default = statistics.median(seconds.values()) if seconds else 0
    return sorted(files, key=lambda path: -seconds.get(path, default))


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    print(json.dumps(seconds_per_file(Path(argv[1]).read_text()), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
