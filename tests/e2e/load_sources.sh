#!/bin/bash
# load --source-addrs: a pool of loopback source addresses, one a session
# in turn. The sink's arrival log and its session log name the client
# address of every session: with one thread, 12 sessions over
# 127.0.0.2-5 come three from each; a list mixes with a range; a bad
# pool is refused before anything connects.
# Usage: load_sources.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
srv_sink --local-domain sink.test
T=(--target "127.0.0.1:$SINK_PORT" --var sender=s@client.test --var rcpt=r@sink.test)
SC=$ROOT/cases/load/helo-messages.smtp
REC=$SINK_DIR/arrivals.jsonl

# clients FROM N: the client addresses of arrival lines FROM..FROM+N-1,
# "ADDR COUNT" sorted.
clients() {
  sed -n "$1,$(($1 + $2 - 1))p" "$REC" |
    $SRV_PY -c 'import collections, json, sys
c = collections.Counter(json.loads(l)["client"].rsplit(":", 1)[0] for l in sys.stdin)
print(" ".join(f"{a}={n}" for a, n in sorted(c.items())))'
}

"$SMTPSUITE" load -q "${T[@]}" -c 2 -n 12 --threads 1 \
  --source-addrs 127.0.0.2-5 "$SC" > "$SRV_DIR/pool.out" 2>&1 ||
  { cat "$SRV_DIR/pool.out"; srv_fail "load with a pool failed"; }
srv_wait_lines "$REC" 12 || srv_fail "the sink got $(wc -l < "$REC") messages, want 12"
got=$(clients 1 12)
want="127.0.0.2=3 127.0.0.3=3 127.0.0.4=3 127.0.0.5=3"
[ "$got" = "$want" ] || srv_fail "pool 127.0.0.2-5: got clients '$got', want '$want'"
echo "ok pool 127.0.0.2-5: $got"
n=$(grep -c -E "open 127\.0\.0\.[2-5]:" "$SINK_DIR/log")
[ "$n" = 12 ] || srv_fail "the sink's log shows $n sessions from the pool, want 12"

"$SMTPSUITE" load -q "${T[@]}" -c 1 -n 4 --threads 1 \
  --source-addrs 127.0.0.9,127.0.0.7-8 "$SC" > "$SRV_DIR/list.out" 2>&1 ||
  { cat "$SRV_DIR/list.out"; srv_fail "load with a list failed"; }
srv_wait_lines "$REC" 16 || srv_fail "the sink got $(wc -l < "$REC") messages, want 16"
got=$(clients 13 4)
want="127.0.0.7=1 127.0.0.8=1 127.0.0.9=2"
[ "$got" = "$want" ] || srv_fail "pool 127.0.0.9,127.0.0.7-8: got '$got', want '$want'"
echo "ok list and range: $got"

# Without a pool, --bind still names the one source address.
"$SMTPSUITE" load -q "${T[@]}" -c 1 -n 2 --bind 127.0.0.6 "$SC" > "$SRV_DIR/bind.out" 2>&1 ||
  { cat "$SRV_DIR/bind.out"; srv_fail "load with --bind failed"; }
srv_wait_lines "$REC" 18 || srv_fail "the sink got $(wc -l < "$REC") messages, want 18"
got=$(clients 17 2)
[ "$got" = "127.0.0.6=2" ] || srv_fail "--bind 127.0.0.6: got '$got'"
echo "ok --bind: $got"

rc=0
"$SMTPSUITE" load "${T[@]}" -c 1 -n 1 --source-addrs 127.0.0.2-1 "$SC" \
  > "$SRV_DIR/bad.out" 2>&1 || rc=$?
if [ "$rc" != 2 ] || ! grep -q -- "--source-addrs" "$SRV_DIR/bad.out"; then
  srv_fail "a bad pool: exit $rc, $(cat "$SRV_DIR/bad.out")"
fi
[ "$(wc -l < "$REC")" = 18 ] || srv_fail "a bad pool connected"
if grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$SRV_DIR"/*.out; then
  cat "$SRV_DIR"/*.out
  srv_fail "a sanitizer report"
fi
echo "load_sources: every session took the next address of the pool"
