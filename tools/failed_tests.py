"""Print what failed in a `make test` run, compactly: one line per failed test or scenario.

CI keeps only the last lines of a run's output, and a suite's failures are printed far above them
(the integration suite's are held back until it ends). `make test` calls this last, so the tail
names what to look at:

    python tools/failed_tests.py REPORTS_DIR

REPORTS_DIR holds pytest's JUnit files (*.xml) and, for each molecule scenario that failed,
molecule-<scenario>.failed next to its log molecule-<scenario>.log.
"""
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

WIDTH = 160
MOST = 30  # lines: more would push the run's own last lines out of CI's tail


def one_line(text):
    text = " ".join((text or "").split())
    return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."


def pytest_failures(report):
    for case in ET.parse(report).getroot().iter("testcase"):
        for problem in list(case.findall("failure")) + list(case.findall("error")):
            name = "%s::%s" % (case.get("classname", "").replace(".", "/"), case.get("name"))
            yield "%s: %s %s" % (report.stem, name, one_line(problem.get("message")))


def molecule_failures(marker):
    """The scenario and the last task that failed in its log (molecule prints `fatal:` after `TASK [..]`)."""
    scenario = marker.stem[len("molecule-"):]
    log = marker.with_suffix(".log")
    task, fatal, current = "", "", ""
    if log.exists():
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("TASK ["):
                current = line.strip("* ")
            elif re.match(r"^(fatal|failed): \[", line):
                task, fatal = current, line
    yield "molecule %s: %s %s" % (scenario, task or "(no failed task in its log)", one_line(fatal))


def main(directory):
    reports = Path(directory)
    lines = []
    for report in sorted(reports.glob("*.xml")):
        lines.extend(pytest_failures(report))
    for marker in sorted(reports.glob("molecule-*.failed")):
        lines.extend(molecule_failures(marker))
    if not lines:
        return 0
    print("make test: what failed (%d):" % len(lines))
    for line in lines[:MOST]:
        print("  " + line)
    if len(lines) > MOST:
        print("  ... and %d more (see %s)" % (len(lines) - MOST, reports))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
