#!/bin/bash
# Operations of `smtpsuite sink`: bad options and fault rules (exit 2,
# one line naming the rule or file:line), a busy port (exit 3), the port
# file, UNIX and IPv6 listeners, 1500 concurrent connects, the
# connection limit, the idle timeout, a precise delay, and a clean
# shutdown on SIGTERM (421 to open sessions, exit 0) and SIGINT (130).
# Usage: sink_ops.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
OPS="$SRV_PY $HERE/sink_ops.py"

# expect_usage WANT-EXIT WANT-STDERR ARGS...: the sink refuses to start.
expect_refusal() {
  local want_rc=$1 want=$2 out rc
  shift 2
  set +e
  out=$(timeout 10 "$SMTPSUITE" sink --listen :0 "$@" 2>&1)
  rc=$?
  set -e
  [ "$rc" = "$want_rc" ] || srv_fail "sink $*: exit $rc, want $want_rc ($out)"
  [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || srv_fail "sink $*: not one line: $out"
  case "$out" in *"$want"*) ;; *) srv_fail "sink $*: got '$out', want '$want'" ;; esac
  echo "ok refused ($rc): $out"
}
expect_refusal 2 "smtpsuite sink: --fault: fault 'RCPT -> explode': unknown action 'explode'" \
  --fault 'RCPT -> explode'
printf '# comment\nRSET -> keep-state\nNOOP@nowhere -> accept\n' > "$SRV_DIR/faults"
expect_refusal 2 "$SRV_DIR/faults:3: fault 'NOOP@nowhere -> accept': unknown state 'nowhere'" \
  --fault-file "$SRV_DIR/faults"
expect_refusal 2 "--listen nonsense: want ADDR:PORT" --listen nonsense
expect_refusal 2 "unknown profile 'nope'" --profile nope
expect_refusal 2 "--hostname: 1..255 printable octets" --hostname 'a b'
expect_refusal 2 "--rcpt-limit: '0' is not a whole number" --rcpt-limit 0
expect_refusal 3 "No such file or directory" --record /nonexistent/dir/log

srv_sink
expect_refusal 3 "cannot listen on 127.0.0.1:$SINK_PORT" --listen "127.0.0.1:$SINK_PORT"

# 1500 connections at once (backlog 4096): all greeted, all answered
$OPS many "$SINK_PORT" 1500 || srv_fail "concurrent connects"
# a client that half-closes after its last command still gets every reply
$OPS halfclose "$SINK_PORT" || srv_fail "half-close"
# a delay from the fault table is at least what was asked, and a
# half-close during the delay loses nothing
srv_sink --fault 'NOOP -> delay 300ms'
$OPS delay "$SINK_PORT" 300 || srv_fail "delay"
$OPS halfclose "$SINK_PORT" || srv_fail "half-close during a delay"
grep -q "message" "$SINK_DIR/log" || srv_fail "the half-closed message was not accepted"
# the connection limit
srv_sink --max-connections 5
$OPS limit "$SINK_PORT" 5 || srv_fail "connection limit"
# the idle timeout: 421 4.4.2 and a close
srv_sink --idle-timeout 1s
$OPS idle "$SINK_PORT" || srv_fail "idle timeout"
# a UNIX socket (the port file then holds 0)
srv_sink --listen "unix:$SRV_DIR/sink.sock"
[ "$SINK_PORT" = 0 ] || srv_fail "port file for a UNIX socket: $SINK_PORT"
$OPS unix 0 "$SRV_DIR/sink.sock" || srv_fail "unix socket"
srv_stop_sink
[ ! -e "$SRV_DIR/sink.sock" ] || srv_fail "the socket file was left behind"
# IPv6 loopback, where the machine has it
if $SRV_PY -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
  srv_sink --listen '[::1]:0'
  $OPS ipv6 "$SINK_PORT" || srv_fail "ipv6"
else
  echo "note: no ::1 on this machine; IPv6 listener not exercised"
fi

# SIGTERM: the open session gets 421 4.3.2, the sink exits 0
for sig in TERM INT; do
  srv_sink
  $OPS hold "$SINK_PORT" > "$SRV_DIR/hold.$sig" &
  holder=$!
  srv_wait_lines "$SRV_DIR/hold.$sig" 1 10 || srv_fail "holder not ready"
  kill -"$sig" "$SINK_PID"
  set +e
  wait "$SINK_PID"
  rc=$?
  wait "$holder"
  hrc=$?
  set -e
  want=0
  [ "$sig" = INT ] && want=130
  SRV_SINK_WANT[$SINK_PID]=$want # read by srv_stop_sink
  cat "$SRV_DIR/hold.$sig"
  [ "$rc" = "$want" ] || srv_fail "SIG$sig: sink exit $rc, want $want"
  [ "$hrc" = 0 ] || srv_fail "SIG$sig: the open session did not get 421 4.3.2"
  grep -q "stopping: 1 sessions open" "$SINK_DIR/log" || srv_fail "no stopping line"
  echo "ok SIG$sig: 421 to the open session, exit $rc"
done
echo PASS
