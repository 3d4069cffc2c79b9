#!/bin/bash
# The case library against real servers of the rig (tests/servers/lib.sh):
# Postfix, configured as an MX that relays for nobody, and aiosmtpd.
# Every case's verdict (slow and intrusive ones too) is compared with
# tests/expected/postfix.txt and tests/expected/aiosmtpd.txt, whose
# "# version:" line must name the server's version: another version
# fails with "re-baseline", a changed verdict with the case, the verdict
# expected, the one that came and both reasons. The reasons are cited in
# docs/conformance-notes.md.
# The slow cases' own proof (tests/e2e/library_slow.sh: against the sink
# and under their faults) runs beside it, since both wait for the same
# 5-minute idle timeout.
# Usage: library_servers.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
LIB="$SRV_PY $HERE/library.py"
OUT=$SRV_DIR/servers
mkdir -p "$OUT"
bash "$HERE/library_slow.sh" "$SMTPSUITE" > "$SRV_DIR/slow.log" 2>&1 &
slow_pid=$!
SRV_STOPS+=("kill $slow_pid 2>/dev/null") # its own trap stops its sinks

# Postfix 3.7 as Debian ships it, and as an MX: mail for localhost, whose
# local recipients are alice, bob and postmaster; relaying refused for
# strangers (the rig keeps 127.0.0.1 out of mynetworks) with
# reject_unauth_destination, as on an Internet MX (the compiled-in
# default defers with 454, a temporary failure that proves nothing).
srv_postfix "mydestination = \$myhostname, localhost" \
  "local_recipient_maps = inline:{postmaster=ok, alice=ok, bob=ok}" \
  "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
srv_aiosmtpd
# The servers' package versions: the expectations hold for these.
pkg_version() { # PACKAGE FALLBACK-COMMAND...
  local v
  v=$(dpkg-query -W -f '${Version}' "$1" 2>/dev/null) || v=
  shift
  [ -n "$v" ] || v=$("$@")
  echo "$v"
}
postfix_version=$(pkg_version postfix sh -c "postconf -d mail_version | sed 's/.*= //'")
aiosmtpd_version=$(pkg_version python3-aiosmtpd "$SRV_PY" -c 'import aiosmtpd; print(aiosmtpd.__version__)')

run() { # NAME TARGET PORT
  "$SMTPSUITE" run --cases-dir "$ROOT/cases" "$ROOT/cases" --tags 'not load and not delivery' \
    --allow-intrusive -j 16 -q --no-color --target-file "$ROOT/cases/targets/$2" \
    --target "127.0.0.1:$3" --json "$OUT/$1.json" > "$OUT/$1.log" 2>&1 || true
  [ -s "$OUT/$1.json" ] || { cat "$OUT/$1.log"; srv_fail "$1: no result file"; }
}
run postfix postfix-local.target "$POSTFIX_PORT" &
p1=$!
run aiosmtpd aiosmtpd-local.target "$AIOSMTPD_PORT" &
p2=$!
wait $p1 $p2
rc=0
wait $slow_pid || rc=1
echo "== the slow cases (tests/e2e/library_slow.sh):"
cat "$SRV_DIR/slow.log"
grep -l -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$OUT"/*.log 2>/dev/null &&
  srv_fail "smtpsuite run logged a sanitizer report (see the files above)"
$LIB compare "$ROOT" postfix "$OUT/postfix.json" "$postfix_version" || rc=1
$LIB compare "$ROOT" aiosmtpd "$OUT/aiosmtpd.json" "$aiosmtpd_version" || rc=1
[ $rc = 0 ] || srv_fail "the slow cases failed, or verdicts on real servers changed (see above)"
# The two servers must be told apart by at least one case.
$SRV_PY - "$OUT/postfix.json" "$OUT/aiosmtpd.json" <<'PY' || srv_fail "Postfix and aiosmtpd got the same verdicts"
import json, sys
a = {c["id"]: c["verdict"] for c in json.load(open(sys.argv[1]))["cases"]}
b = {c["id"]: c["verdict"] for c in json.load(open(sys.argv[2]))["cases"]}
diff = sorted(i for i in a if a[i] != b.get(i))
print(f"{len(diff)} cases tell Postfix and aiosmtpd apart, e.g. {', '.join(diff[:5])}")
sys.exit(0 if diff else 1)
PY
echo "PASS: library_servers"
