#!/bin/bash
# Benchmark: the client's memory per idle session. For 1,000, 5,000 and
# 10,000 sessions at once (cases/load/ehlo-idle.smtp: connect, greeting,
# EHLO, then 60 s of silence; the sessions start over 10 s, so that the
# single-process smtp-sink accepts them as they come), the resident memory of smtpsuite once
# every session is idle; the slope between the runs is the memory an
# idle session costs (target: at most 16 KiB). Beside it: the kernel's
# memory for the sockets of both ends (the growth of the unreclaimable
# slab, /proc/meminfo SUnreclaim: socket, inode and TCP structures; idle
# sockets hold no buffer pages) and the server's resident memory
# (Postfix's smtp-sink, one process). The machine is shared: the kernel
# figure is the noisiest.
# Needs about 2 x 10,000 open files (this raises the soft limit).
# Usage: bench/idle-memory.sh [BUILD_DIR]   (COUNTS="1000 5000 10000")
set -u
. "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
COUNTS=${COUNTS:-"1000 5000 10000"}
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "# open files: $(ulimit -n); listen backlog limit $(cat /proc/sys/net/core/somaxconn)"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
slab_kb() { awk '/^SUnreclaim:/ {print $2}' /proc/meminfo; }
tcp_inuse() { awk '/^TCP:/ {print $3}' /proc/net/sockstat; }

for n in $COUNTS; do
  lt_sink -m $((n + 100))
  sleep 0.5
  base_slab=$(slab_kb)
  base_inuse=$(tcp_inuse)
  sink_rss0=$(rss_kb "$LT_SINK_PID")
  "$SMTPSUITE" load -q --target "127.0.0.1:$SINK_PORT" --concurrency "$n" --sessions "$n" \
    --spread 10s --timeouts rfc --drain 1s --json "$LT_DIR/idle.$n.json" \
    cases/load/ehlo-idle.smtp >"$LT_DIR/idle.$n.out" 2>&1 &
  pid=$!
  # every session accepted by the sink (its descriptors), then past EHLO
  for i in $(seq 600); do
    [ "$(ls "/proc/$LT_SINK_PID/fd" | wc -l)" -ge "$n" ] && break
    sleep 0.1
  done
  sleep 3
  rss=$(rss_kb "$pid")
  tcp=$(( $(slab_kb) - base_slab ))
  sink_rss=$(( $(rss_kb "$LT_SINK_PID") - sink_rss0 ))
  conns=$(( $(tcp_inuse) - base_inuse ))
  kill -INT "$pid"
  wait "$pid"
  echo "$n $rss $tcp $sink_rss $conns" >>"$LT_DIR/idle"
  ok=$(lt_json "$LT_DIR/idle.$n.json" 'c["step.ehlo.attempts"]')
  echo "# $n sessions: client RSS $rss KiB, kernel slab +$tcp KiB, sink +$sink_rss KiB, $conns TCP sockets, $ok EHLO replies" >&2
  [ "$ok" = "$n" ] || lt_fail "$n sessions: only $ok got past EHLO"
  kill "$LT_SINK_PID"
  wait "$LT_SINK_PID" 2>/dev/null
  sleep 1
done
echo
echo "## Memory of idle sessions (connect, EHLO, wait)"
echo
echo "| sessions | client RSS (KiB) | kernel slab growth, both ends (KiB) | smtp-sink RSS growth (KiB) |"
echo "|---|---|---|---|"
awk '{printf "| %d | %d | %d | %d |\n", $1, $2, $3, $4}' "$LT_DIR/idle"
$LT_PY - "$LT_DIR/idle" <<'PY'
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1])]
lo, hi = rows[0], rows[-1]
dn = hi[0] - lo[0]
slope = (hi[1] - lo[1]) * 1024 / dn
print()
print("client memory per idle session (slope %d to %d): %.0f bytes (%.1f KiB); target at most 16 KiB: %s"
      % (lo[0], hi[0], slope, slope / 1024, "met" if slope <= 16384 else "NOT met"))
print("kernel memory per session (both ends' sockets): %.0f bytes" % ((hi[2] - lo[2]) * 1024 / dn))
print("smtp-sink memory per session: %.0f bytes" % ((hi[3] - lo[3]) * 1024 / dn))
PY
