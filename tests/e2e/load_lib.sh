# shellcheck shell=bash
# tests/e2e/load_lib.sh: what the load end-to-end tests (and bench/)
# add to the server rig (tests/servers/lib.sh, which owns the folder, the
# trap and stopping every server): Postfix's smtp-sink, whose own
# counters (-c) count sessions, QUITs and messages, tests/tools/smtp_delay,
# and reading the JSON result. Source it from bash, then call lt_init.
#   lt_init SMTPSUITE_BINARY      srv_init, and LT_DIR (a private folder)
#   lt_sink [smtp-sink args]      starts smtp-sink          (SINK_PORT, LT_SINK_PID)
#   lt_sink_counts                "SESS QUIT MESG" smtp-sink counted since it started
#   lt_sink_wait N                until it counted N sessions (at most 10 s)
#   lt_delay BINARY [ARGS]        starts smtp_delay         (DELAY_PORT, DELAY_PID)
#   lt_delay_stop                 stops it; its counts are in $LT_DIR/delay.counts
#   lt_json FILE EXPR             a Python expression on the result file
#   lt_expect WHAT GOT WANT       one checked figure
#   lt_fail MESSAGE               fails the test

. "$(dirname "${BASH_SOURCE[0]}")/../servers/lib.sh"

LT_PY=$SRV_PY
LT_DIR=

lt_fail() {
  srv_fail "$*"
}

lt_init() {
  srv_init "$1"
  command -v smtp-sink >/dev/null || lt_fail "smtp-sink is not installed (postfix)"
  srv_dir load
  LT_DIR=$SRV_NEWDIR
}

lt_free_port() {
  srv_free_port
}

# lt_sink [args]: smtp-sink with running counters (-c) on a free port,
# its listen queue as long as the machine allows.
lt_sink() {
  local user=() try i
  [ "$(id -u)" = 0 ] && user=(-u nobody)
  srv_dir smtp-sink
  LT_SINK_DIR=$SRV_NEWDIR
  chmod 777 "$LT_SINK_DIR"
  for try in 1 2 3; do
    SINK_PORT=$(srv_free_port)
    smtp-sink "${user[@]}" -c -m 5000 "$@" "127.0.0.1:$SINK_PORT" 4096 \
      >"$LT_SINK_DIR/out" 2>"$LT_SINK_DIR/log" &
    LT_SINK_PID=$!
    SRV_STOPS+=("srv_stop_pid $LT_SINK_PID")
    if srv_wait_port "$SINK_PORT" 5; then
      # that probe was a session: count from here
      sleep 0.2
      LT_SINK_BASE=$(lt_sink_counts_raw)
      echo "lt_sink: port $SINK_PORT (pid $LT_SINK_PID)"
      return 0
    fi
    kill "$LT_SINK_PID" 2>/dev/null
  done
  lt_fail "smtp-sink did not start: $(cat "$LT_SINK_DIR/log")"
}

# The last "sess=N quit=N mesg=N" smtp-sink printed, as "N N N".
lt_sink_counts_raw() {
  tr '\r' '\n' <"$LT_SINK_DIR/out" | grep '^sess=' | tail -n 1 |
    sed 's/sess=\([0-9]*\) quit=\([0-9]*\) mesg=\([0-9]*\).*/\1 \2 \3/'
}

lt_sink_counts() {
  local now base
  now=$(lt_sink_counts_raw)
  base=${LT_SINK_BASE:-"0 0 0"}
  # shellcheck disable=SC2086
  set -- $now $base
  echo "$(( ${1:-0} - ${4:-0} )) $(( ${2:-0} - ${5:-0} )) $(( ${3:-0} - ${6:-0} ))"
}

# lt_sink_wait N: until the sink counted N sessions since it started;
# a session's QUIT and messages are counted by the time its end is.
lt_sink_wait() {
  local i s
  for i in $(seq 100); do
    s=$(lt_sink_counts | cut -d' ' -f1)
    [ "$s" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# lt_delay BINARY [ARGS]: tests/tools/smtp_delay on a free port.
lt_delay() {
  local bin=$1 i
  shift
  srv_dir smtp-delay
  LT_DELAY_DIR=$SRV_NEWDIR
  "$bin" --port-file "$LT_DELAY_DIR/port" --counts "$LT_DIR/delay.counts" "$@" \
    2>"$LT_DELAY_DIR/log" &
  DELAY_PID=$!
  SRV_STOPS+=("srv_stop_pid $DELAY_PID")
  for i in $(seq 50); do
    [ -s "$LT_DELAY_DIR/port" ] && break
    sleep 0.1
  done
  DELAY_PORT=$(cat "$LT_DELAY_DIR/port" 2>/dev/null)
  [ -n "$DELAY_PORT" ] || lt_fail "smtp_delay did not start: $(cat "$LT_DELAY_DIR/log")"
}

lt_delay_stop() {
  srv_stop_pid "$DELAY_PID"
}

# lt_json FILE EXPR: prints EXPR evaluated with the result file as `r`,
# its counters as `c` (name -> value), properties as `p` and histograms
# as `h` ((name, basis) -> histogram).
lt_json() {
  $LT_PY - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = {x["name"]: x["value"] for x in r.get("counters", [])}
p = {x["name"]: x["value"] for x in r.get("properties", [])}
h = {(x["name"], x["basis"]): x for x in r.get("histograms", [])}
print(eval(sys.argv[2]))
PY
}

lt_expect() {
  if [ "$2" != "$3" ]; then
    lt_fail "$1: got '$2', want '$3'"
  fi
  echo "ok   $1: $2"
}
