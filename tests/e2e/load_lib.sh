# shellcheck shell=bash
# tests/e2e/load_lib.sh: what the load end-to-end tests share until the
# server rig (tests/servers/lib.sh) is on main: Postfix's smtp-sink on a
# free loopback port, stopped on exit (trap), its running counters, and
# reading the JSON result. Source it from bash, then call lt_init.
#   lt_init SMTPSUITE_BINARY      the folder, the trap      (LT_DIR, SMTPSUITE)
#   lt_sink [smtp-sink args]      starts smtp-sink          (SINK_PORT)
#   lt_sink_counts                "SESS QUIT MESG" as smtp-sink counted them
#   lt_json FILE EXPR             a Python expression on the parsed file `r`
#   lt_fail MESSAGE               fails the test

LT_PY=/usr/bin/python3 # Debian's Python
LT_DIR=
LT_PIDS=()

lt_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

lt_init() {
  SMTPSUITE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  [ -x "$SMTPSUITE" ] || lt_fail "lt_init: '$1' is not executable"
  command -v smtp-sink >/dev/null || lt_fail "smtp-sink is not installed (postfix)"
  LT_DIR=$(mktemp -d /tmp/smtpsuite-load.XXXXXX)
  chmod 755 "$LT_DIR"
  trap 'lt_on_exit $?' EXIT
  trap 'exit 130' INT TERM
}

lt_on_exit() {
  for p in "${LT_PIDS[@]}"; do
    kill "$p" 2>/dev/null
  done
  for p in "${LT_PIDS[@]}"; do
    wait "$p" 2>/dev/null
  done
  if [ "$1" != 0 ]; then
    echo "== exit $1: the sink's last counters: $(lt_sink_counts)"
  fi
  rm -rf "$LT_DIR"
}

lt_free_port() {
  $LT_PY -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# lt_sink [args]: smtp-sink with running counters (-c) on a free port.
lt_sink() {
  local user=()
  [ "$(id -u)" = 0 ] && user=(-u nobody)
  local try
  for try in 1 2 3 4 5; do
    SINK_PORT=$(lt_free_port)
    smtp-sink "${user[@]}" -c -m 5000 "$@" "127.0.0.1:$SINK_PORT" 4096 \
      >"$LT_DIR/sink.out" 2>"$LT_DIR/sink.err" &
    LT_SINK_PID=$!
    LT_PIDS+=("$LT_SINK_PID")
    local i
    for i in $(seq 50); do
      if $LT_PY -c "import socket; socket.create_connection(('127.0.0.1', $SINK_PORT), 1).close()" 2>/dev/null; then
        # that probe was a session: start the counts from here
        sleep 0.2
        LT_SINK_BASE=$(lt_sink_counts_raw)
        return 0
      fi
      kill -0 "$LT_SINK_PID" 2>/dev/null || break
      sleep 0.1
    done
  done
  lt_fail "smtp-sink did not start: $(cat "$LT_DIR/sink.err")"
}

# The last "sess=N quit=N mesg=N" smtp-sink printed, as "N N N".
lt_sink_counts_raw() {
  tr '\r' '\n' <"$LT_DIR/sink.out" | grep '^sess=' | tail -n 1 |
    sed 's/sess=\([0-9]*\) quit=\([0-9]*\) mesg=\([0-9]*\).*/\1 \2 \3/'
}

# The counts since the sink started, the probe session left out.
lt_sink_counts() {
  local now base
  now=$(lt_sink_counts_raw)
  base=${LT_SINK_BASE:-"0 0 0"}
  set -- $now $base
  echo "$(( ${1:-0} - ${4:-0} )) $(( ${2:-0} - ${5:-0} )) $(( ${3:-0} - ${6:-0} ))"
}

# lt_sink_wait N: waits (at most 10 s) until the sink counted N sessions
# since it started; the quits and messages of a session are counted by
# the time its end is.
lt_sink_wait() {
  local i s
  for i in $(seq 100); do
    s=$(lt_sink_counts | cut -d' ' -f1)
    [ "$s" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# lt_json FILE EXPR: prints EXPR evaluated with the result file as `r`,
# its counters as `c` (name -> value) and properties as `p`.
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

# lt_expect WHAT GOT WANT
lt_expect() {
  if [ "$2" != "$3" ]; then
    lt_fail "$1: got '$2', want '$3'"
  fi
  echo "ok   $1: $2"
}
