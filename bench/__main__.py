"""python -m bench [--part api|hosts|all] [--sizes 100,1000,5000] [--hosts 1,3,6]

Runs the selected parts, prints the figures, and merges them into bench/results.json (a part that was
not run keeps its figures from the earlier run, with that run's own date, commit and load) and
bench/results.md. Exits non-zero when a check fails (a no-change re-run that changed something)."""
import argparse
import json
import signal
import sys
import time

from bench import report
from bench.common import REPO, context, load, log

RESULTS = REPO / "bench" / "results.json"


def numbers(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["api", "hosts", "all"], default="all")
    parser.add_argument("--sizes", type=numbers, default=[100, 1000, 5000], help="seeded fleet sizes for the API part")
    parser.add_argument("--hosts", type=numbers, default=[1, 3, 6], help="host counts for the enrollment part")
    parser.add_argument("--output", default=str(RESULTS), help="where results.json goes (results.md beside it)")
    parser.add_argument("--report-only", action="store_true", help="only rewrite results.md from results.json")
    args = parser.parse_args(argv)
    # Interrupted or killed: still stop the emulator, mirror and hosts the parts started (their finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = {}
    try:
        results = json.loads(open(args.output).read())
    except (OSError, ValueError):
        pass
    parts = [] if args.report_only else ["api", "hosts"] if args.part == "all" else [args.part]
    failures = []
    for part in parts:
        started = time.monotonic()
        meta = context()
        log("part %s: load average %s" % (part, meta["load_average_start"]))
        if part == "api":
            from bench import api
            figures = api.run(args.sizes)
        else:
            from bench import hosts
            figures = hosts.run(args.hosts)
            failures.extend(figures.get("failures", []))
        meta["load_average_end"] = load()
        results[part] = dict(meta=meta, **figures)
        results[part]["meta"]["seconds"] = round(time.monotonic() - started, 1)
        report.write(results, args.output)  # after each part, so a later failure keeps what was measured
    if not parts:
        report.write(results, args.output)
    print(report.markdown(results))
    for failure in failures:
        log("FAILED: %s" % failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
