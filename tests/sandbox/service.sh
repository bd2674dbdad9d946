#!/usr/bin/env bash
# Background services of the sandbox (mirror, ...): one PID file and one log per name under
# .sandbox/, started once and waited for until a health URL answers.
#   service.sh start NAME HEALTH_URL COMMAND...
#   service.sh stop NAME
#   service.sh status NAME
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${SANDBOX_DIR:-$ROOT/.sandbox}"
ACTION="${1:?usage: service.sh start|stop|status NAME ...}"
NAME="${2:?service name}"
PIDFILE="$STATE/$NAME.pid"
LOG="$STATE/$NAME.log"

alive() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "$ACTION" in
    start)
        url="${3:?health url}"; shift 3
        if alive; then echo "$NAME: already running (pid $(cat "$PIDFILE"))"; exit 0; fi
        # Something else answers there (another checkout's sandbox, serving other packages under another
        # key): ours would fail to bind while the health check passed on theirs.
        if curl -sf "$url" >/dev/null; then
            echo "$NAME: $url already answers, but not from this checkout's $NAME ($PIDFILE)." \
                 "Stop the other one (make sandbox-down in its checkout) or choose another port." >&2
            exit 1
        fi
        mkdir -p "$STATE"
        (cd "$ROOT" && exec setsid "$@" >>"$LOG" 2>&1 </dev/null) &
        echo $! >"$PIDFILE"
        for _ in $(seq 1 100); do
            curl -sf "$url" >/dev/null && alive && { echo "$NAME: running (pid $(cat "$PIDFILE"), log $LOG)"; exit 0; }
            alive || break
            sleep 0.2
        done
        echo "$NAME: did not come up; log:" >&2; tail -20 "$LOG" >&2; exit 1 ;;
    stop)
        if alive; then
            pid="$(cat "$PIDFILE")"; kill -TERM "$pid"
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
            echo "$NAME: stopped"
        fi
        rm -f "$PIDFILE" ;;
    status)
        if alive; then echo "$NAME: running (pid $(cat "$PIDFILE"))"; else echo "$NAME: not running"; fi ;;
    *) echo "unknown action $ACTION" >&2; exit 2 ;;
esac
