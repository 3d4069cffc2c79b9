#!/bin/bash
# The sink behind a load balancer (--proxy) and with Postfix's XCLIENT
# and XFORWARD, over real sockets: the client a PROXY v1 or v2 header
# claims is the arrival log's client; a missing or malformed header
# (even one sent an octet at a time) gets no greeting and a close, while
# a valid one sent an octet at a time is greeted; under the fault
# proxy-lax=on the missing header is greeted anyway (the guessing server
# the mutation proof of cases/proxy uses). The checker of the close is a
# raw socket, not smtpsuite.
# Usage: sink_proxy.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"

# talk PORT HEX: sends the octets one at a time, then prints what the
# sink answered before it closed (or "timeout" after 3 s of silence).
talk() {
  $SRV_PY - "$1" "$2" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
got = b""
try:
    for b in bytes.fromhex(sys.argv[2]):
        s.sendall(bytes([b]))
        time.sleep(0.002)
except OSError:  # closed on us while we were still sending
    pass
try:
    while b"\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
except socket.timeout:
    got += b"timeout"
except OSError:  # a reset is a close too
    pass
print(got.decode("latin-1").strip() or "closed")
PY
}
hex() { printf '%b' "$1" | od -An -tx1 | tr -d ' \n'; }

# expect WHAT PORT BYTES WANT-REGEX
expect() {
  local got
  got=$(talk "$2" "$(hex "$3")")
  [[ $got =~ $4 ]] || srv_fail "$1: got '$got', want /$4/"
  echo "ok $1: $got"
}

srv_sink --proxy any --fault xforward=on --fault xclient=on -v
P=$SINK_PORT
V2='\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x0b\x7f\x00\x00\x01\x0f\xa1\x00\x19'
expect "v1 octet by octet" "$P" 'PROXY TCP4 192.0.2.10 127.0.0.1 4000 25\r\n' '^220 '
expect "v2 octet by octet" "$P" "$V2" '^220 '
expect "missing header" "$P" 'EHLO client.test\r\n' '^closed$'
expect "v1 octet 300" "$P" 'PROXY TCP4 192.0.2.300 127.0.0.1 4000 25\r\n' '^closed$'
expect "v2 version 3" "$P" '\r\n\r\n\0\r\nQUIT\n\x31\x11\x00\x0c' '^closed$'
expect "v1 bare LF" "$P" 'PROXY UNKNOWN\n' '^closed$'

# The claim is the client of the arrival record, for both versions.
for t in sink-proxy:192.0.2.10:4000 sink-proxy-v2:192.0.2.11:4001; do
  "$SMTPSUITE" run --target-file "$ROOT/cases/targets/${t%%:*}.target" \
    --target "127.0.0.1:$P" --proxy-source "${t#*:}" \
    "$ROOT/cases/xclient/xforward-accepted.smtp" > "$SRV_DIR/run.out" 2>&1 ||
    { cat "$SRV_DIR/run.out"; srv_fail "${t%%:*}: the XFORWARD case did not pass"; }
  grep -q "\"client\":\"${t#*:}\"" "$SINK_DIR/arrivals.jsonl" ||
    { cat "$SINK_DIR/arrivals.jsonl"; srv_fail "${t%%:*}: no arrival from ${t#*:}"; }
  echo "ok ${t%%:*}: the arrival record's client is ${t#*:}"
done
grep -q "proxy refused: v1: bad source address" "$SINK_DIR/log" ||
  srv_fail "the log does not say why the v1 header was refused"
grep -q "XFORWARD NAME=xforward.test" "$SINK_DIR/log" ||
  srv_fail "the log does not note the XFORWARD attributes"
srv_stop_sink

# The guessing server: no header, greeted anyway.
srv_sink --proxy any --fault proxy-lax=on
expect "missing header, proxy-lax=on" "$SINK_PORT" 'EHLO client.test\r\n' '^220 '
srv_stop_sink
[ -z "$SRV_BAD" ] || srv_fail "a sink ended badly (see above)"
echo "PASS: sink_proxy"
