#!/bin/bash
# compare, the audit matrix and run --baseline on two Postfix instances
# of the rig (tests/servers/lib.sh) that differ in two documented
# parameters, whose effects are predicted here, before anything runs.
# Instance A is Postfix as tests/e2e/library_servers.sh configures it (an
# MX for localhost, relaying for nobody); B is A plus (postconf(5)):
#   smtpd_recipient_limit = 50   "The maximal number of recipients that
#     the Postfix SMTP server accepts per message delivery request": the
#     51st RCPT gets "452 4.5.3 Error: too many recipients", so
#     addr.recipients.100-accepted (RFC 5321 4.5.3.1.8: fewer than 100 is
#     a violation) goes PASS -> FAIL. B's target file declares the limit
#     (fixture rcpt_limit = 50), so addr.rcpt-limit.452-keeps-earlier,
#     which checks the 452 at the declared limit, stays PASS.
#   disable_vrfy_command = yes   "Disable the SMTP VRFY command": VRFY
#     gets "502 5.5.1 VRFY command is disabled", so txn.vrfy.implemented
#     goes PASS -> WARN (RFC 5321 7.3: a disabled VRFY SHOULD answer
#     252); and EHLO stops listing VRFY, so helo.vrfy-keyword.implemented
#     (requires: VRFY) goes PASS -> SKIP. The other cases that send VRFY
#     accept 502 (txn.vrfy.no-argument-501: 501 or 502; the rest: any
#     reply, or any 5yz) and do not change.
# Then: compare A B reports exactly these (one newly failing, two
# changed, nothing else) and exits 1; compare B A the reverse and exits
# 0; one run with both target files prints the case x target matrix whose
# differing rows are exactly these, as compare does from its result file,
# and the JSON says the same; run --baseline A gates B on exactly the new
# failure (exit 1), A on nothing (exit 0, though A has a FAIL of its own),
# B against B's own result on nothing, also under --strict (where B's
# WARNs fail a run without a baseline). And compare names a case whose
# file changed, and nothing else, after A is run again from a copy of the
# library with a comment added to that case.
# Usage: compare_postfix.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
OUT=$SRV_DIR/out
mkdir -p "$OUT"
export NO_COLOR=1

# The predictions: id, verdict on A, verdict on B. Every other case of
# the suite gets one verdict on both.
PREDICTED="addr.recipients.100-accepted PASS FAIL
txn.vrfy.implemented PASS WARN
helo.vrfy-keyword.implemented PASS SKIP"

mx=("mydestination = \$myhostname, localhost"
  "local_recipient_maps = inline:{postmaster=ok, alice=ok, bob=ok}"
  "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination")
srv_postfix "${mx[@]}"
port_a=$POSTFIX_PORT
srv_postfix "${mx[@]}" "smtpd_recipient_limit = 50" "disable_vrfy_command = yes"
port_b=$POSTFIX_PORT

# A target file each (the rig's postfix-local profile): its own name,
# address and declared recipient limit.
target() { # NAME PORT RCPT_LIMIT
  sed -e "s/^name: .*/name: $1/" -e "s/^address: .*/address: 127.0.0.1:$2/" \
    -e "s/^fixture rcpt_limit .*/fixture rcpt_limit = $3/" \
    "$ROOT/cases/targets/postfix-local.target" > "$OUT/$1.target"
}
target postfix-a "$port_a" 1000
target postfix-b "$port_b" 50
grep -q "rcpt_limit = 50" "$OUT/postfix-b.target" || srv_fail "postfix-b.target: no rcpt_limit"

# The suite: RFC 5321 conformance without the slow cases (5-minute idle
# timeouts) that would only make this test long.
run() { # OUTNAME WANT-EXIT ARGS...: runs the suite (from $CASES, by
  # default the repository's library); the exit must be WANT
  local name=$1 want=$2 rc=0
  shift 2
  "$SMTPSUITE" run --cases-dir "${CASES:-$ROOT/cases}" conformance --tags 'not slow' \
    -j 8 -q --no-color "$@" > "$OUT/$name.log" 2>&1 || rc=$?
  grep -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$OUT/$name.log" &&
    srv_fail "$name: a sanitizer report"
  [ "$rc" = "$want" ] || { cat "$OUT/$name.log"; srv_fail "$name: exit $rc, want $want"; }
  echo "ok: run $name: exit $rc"
}
run a 1 --target-file "$OUT/postfix-a.target" --json "$OUT/a.json"
run b 1 --target-file "$OUT/postfix-b.target" --json "$OUT/b.json"

CHECK="$SRV_PY $HERE/compare_check.py"
# The runs themselves: the predicted verdicts, the rest equal.
$CHECK verdicts "$PREDICTED" "$OUT/a.json" "$OUT/b.json"

compare() { # WANT-EXIT OUTNAME ARGS...
  local want=$1 name=$2 rc=0
  shift 2
  "$SMTPSUITE" compare "$@" > "$OUT/$name.txt" 2>&1 || rc=$?
  cat "$OUT/$name.txt"
  [ "$rc" = "$want" ] || srv_fail "compare $*: exit $rc, want $want"
}
echo "== compare a.json b.json"
compare 1 ab "$OUT/a.json" "$OUT/b.json"
$CHECK diff "$PREDICTED" "$OUT/ab.txt" "$OUT/a.json" forward
echo "== compare b.json a.json"
compare 0 ba "$OUT/b.json" "$OUT/a.json"
$CHECK diff "$PREDICTED" "$OUT/ba.txt" "$OUT/a.json" reverse

# A case file that changed (a comment added): A again from a copy of the
# library, and compare names that case alone, under "case file changed".
cp -r "$ROOT/cases" "$OUT/cases"
echo "# changed" >> "$OUT/cases/core/noop-ok.smtp"
CASES=$OUT/cases run a2 1 --target-file "$OUT/postfix-a.target" --json "$OUT/a2.json"
echo "== compare a.json a2.json"
compare 0 aa2 "$OUT/a.json" "$OUT/a2.json"
$CHECK hash "" "$OUT/aa2.txt" "$OUT/a.json" core.noop.ok

# The audit matrix: both targets in one run, in the console at the end of
# the run, in compare's view of its result file, in compare --matrix of
# the two single runs, and in the JSON.
run ab 1 --target-file "$OUT/postfix-a.target" --target-file "$OUT/postfix-b.target" \
  --json "$OUT/ab.json" --html "$OUT/ab.html"
$CHECK matrix "$PREDICTED" "$OUT/ab.log" "$OUT/a.json" postfix-a postfix-b
compare 0 matrix1 "$OUT/ab.json"
$CHECK matrix "$PREDICTED" "$OUT/matrix1.txt" "$OUT/a.json" postfix-a postfix-b
compare 0 matrix2 --matrix "$OUT/a.json" "$OUT/b.json"
$CHECK matrix "$PREDICTED" "$OUT/matrix2.txt" "$OUT/a.json" postfix-a postfix-b
$CHECK json-matrix "$PREDICTED" "$OUT/ab.json" postfix-a postfix-b
$CHECK html-matrix "$PREDICTED" "$OUT/ab.html" "$OUT/a.json" postfix-a postfix-b

# The regression gate: B against A fails on the new failure alone; A
# against itself passes though A fails a case; B against B's own result
# passes.
run gate-b 1 --target-file "$OUT/postfix-b.target" --baseline "$OUT/a.json"
$CHECK gate "$PREDICTED" "$OUT/gate-b.log" "$OUT/a.json" 1
run gate-a 0 --target-file "$OUT/postfix-a.target" --baseline "$OUT/a.json"
$CHECK gate "$PREDICTED" "$OUT/gate-a.log" "$OUT/a.json" 0
run gate-bb 0 --target-file "$OUT/postfix-b.target" --baseline "$OUT/b.json"
# Under --strict a WARN fails the run, and so a WARN the baseline had
# too is no regression: B (WARNs of its own) against B passes, B against
# A fails (the new FAIL, and txn.vrfy.implemented's new WARN).
run strict-b 1 --strict --target-file "$OUT/postfix-b.target"
run gate-strict-bb 0 --strict --target-file "$OUT/postfix-b.target" --baseline "$OUT/b.json"
run gate-strict-b 1 --strict --target-file "$OUT/postfix-b.target" --baseline "$OUT/a.json"
echo "PASS: compare_postfix"
