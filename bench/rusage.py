"""python bench/rusage.py OUT -- CMD...: run CMD, pass its exit status on, write its rusage to OUT (JSON).

A small process between the bench and the command it measures: Linux carries a process's peak RSS
across fork and exec, so a command forked straight from the bench (hundreds of MiB after the API part)
would report the bench's peak as its own. This wrapper's peak is only a few MiB."""
import json
import os
import sys


def main(argv):
    out, cmd = argv[0], argv[2:]
    pid = os.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    _pid, status, usage = os.wait4(pid, 0)
    with open(out, "w") as handle:
        json.dump({"cpu_seconds": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss}, handle)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
