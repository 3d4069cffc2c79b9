#!/bin/bash
# The delivery cases (cases/delivery/, docs/delivery.md) end to end:
#  1. without --deliver-to every one is SKIPped, and nothing connects;
#  2. through the careful test relay (tests/servers/relay.py --mode
#     normalize --mode bounce) every one PASSes;
#  3. through the relay mode that makes the mistake a case looks for
#     (tests/mutation/delivery.tsv) that case FAILs at its key
#     assertion; every delivery case has its row;
#  4. through the rig's Postfix (srv_postfix_bounce) the verdicts are
#     those of tests/expected/postfix-delivery.txt;
#  5. through Dovecot's submission service, after AUTH, mail for a
#     foreign domain arrives (the AUTH case, which Postfix SKIPs).
# Usage: delivery_cases.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CASES=$ROOT/cases
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
# The AUTH case's credentials (cases/targets/relay.target reads them).
export RELAY_USER=relay-user RELAY_PASS
RELAY_PASS=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
AUTH=(--auth "$RELAY_USER:$RELAY_PASS")

# run JSON RELAY_PORT HOP_PORT [case files...]: the delivery cases (or
# the files given) against the relay, with the next hop on HOP_PORT (-:
# no --deliver-to).
run() {
  local json=$1 relay=$2 hop=$3
  shift 3
  local sel=("$@")
  [ ${#sel[@]} -gt 0 ] || sel=(delivery)
  local dt=()
  [ "$hop" = - ] || dt=(--deliver-to "127.0.0.1:$hop")
  "$SMTPSUITE" run -q --no-color --cases-dir "$CASES" --allow-intrusive \
    --target-file "$CASES/targets/relay.target" --target "127.0.0.1:$relay" \
    "${dt[@]}" --json "$json" "${sel[@]}" > "$json.log" 2>&1 || true
  [ -s "$json" ] || { cat "$json.log"; srv_fail "no result file $json"; }
}

# verdicts JSON: "id verdict" lines, sorted.
verdicts() {
  $SRV_PY -c 'import json,sys
for c in sorted(json.load(open(sys.argv[1]))["cases"], key=lambda c: c["id"]):
    print(c["id"], c["verdict"])' "$1"
}

ALL=$(cd "$CASES/delivery" && ls ./*.smtp | wc -l)

echo "== 1: without --deliver-to every delivery case is SKIP"
srv_relay "$(srv_free_port)" "${AUTH[@]}"
run "$SRV_DIR/skip.json" "$RELAY_PORT" -
n=$(verdicts "$SRV_DIR/skip.json" | grep -c ' SKIP$' || true)
[ "$n" = "$ALL" ] || { verdicts "$SRV_DIR/skip.json"; srv_fail "$n of $ALL SKIP"; }
! grep -q "session from" "$RELAY_DIR/log" || { cat "$RELAY_DIR/log"; srv_fail "a skipped case connected to the relay"; }
srv_stop_relay
echo "ok   $ALL of $ALL SKIP, nothing connected to the relay"

echo "== 2: through the careful relay every delivery case PASSes"
HOP=$(srv_free_port)
srv_relay "$HOP" --mode normalize --mode bounce "${AUTH[@]}"
run "$SRV_DIR/good.json" "$RELAY_PORT" "$HOP"
srv_stop_relay
bad=$(verdicts "$SRV_DIR/good.json" | grep -v ' PASS$' || true)
[ -z "$bad" ] || { cat "$SRV_DIR/good.json.log"; srv_fail "not PASS: $bad"; }
n=$(verdicts "$SRV_DIR/good.json" | wc -l)
[ "$n" = "$ALL" ] || srv_fail "$n results, want $ALL"
echo "ok   $ALL of $ALL PASS"

echo "== 3: each case FAILs at its key through the relay that errs its way"
$SRV_PY - "$HERE" "$ROOT" "$SMTPSUITE" > "$SRV_DIR/plan" <<'PY'
import os, subprocess, sys
sys.path.insert(0, sys.argv[1])
from library import files, read_tsv  # tests/e2e/library.py
root, smtpsuite = sys.argv[2:4]
out = subprocess.run([smtpsuite, "run", "--list", "--allow-intrusive", "--cases-dir",
                      os.path.join(root, "cases"), "delivery"],
                     capture_output=True, text=True, check=True).stdout
ids = {l.split("\t")[0] for l in out.splitlines() if l.strip()}
rows = dict(f for _, f in read_tsv(os.path.join(root, "tests/mutation/delivery.tsv"), 2))
missing = sorted(ids - set(rows))
extra = sorted(set(rows) - ids)
if missing or extra:
    sys.exit(f"delivery.tsv: no row for {missing}, rows for no case {extra}")
paths = files(root)
for cid in sorted(rows):
    print(cid, paths[cid], rows[cid])
PY
while read -r cid file modes; do
  HOP=$(srv_free_port)
  args=()
  for m in $modes; do args+=(--mode "$m"); done
  srv_relay "$HOP" "${args[@]}" "${AUTH[@]}"
  run "$SRV_DIR/m-$cid.json" "$RELAY_PORT" "$HOP" "$file"
  srv_stop_relay
  $SRV_PY - "$SRV_DIR/m-$cid.json" "$cid" "$modes" <<'PY' || srv_fail "$cid under --mode $modes"
import json, sys
path, cid, modes = sys.argv[1:4]
c = [c for c in json.load(open(path))["cases"] if c["id"] == cid]
if len(c) != 1:
    sys.exit(f"FAIL {cid}: {len(c)} results")
c = c[0]
d = c.get("decisive_step", -1)
key = 0 <= d < len(c["steps"]) and c["steps"][d].get("key")
ok = c["verdict"] == "FAIL" and key
print(("ok   " if ok else "FAIL ") + f"{cid:38} --mode {modes:14} {c['verdict']}: {c.get('reason', '')}")
sys.exit(0 if ok else 1)
PY
done < "$SRV_DIR/plan"

echo "== 4: through Postfix the verdicts are tests/expected/postfix-delivery.txt"
HOP=$(srv_free_port)
srv_postfix_bounce "$HOP"
run "$SRV_DIR/postfix.json" "$POSTFIX_PORT" "$HOP"
want=$(grep -v '^#' "$ROOT/tests/expected/postfix-delivery.txt" | awk 'NF {print $1, $2}' | sort)
got=$(verdicts "$SRV_DIR/postfix.json")
if [ "$want" != "$got" ]; then
  cat "$SRV_DIR/postfix.json.log"
  diff <(echo "$want") <(echo "$got") || true
  srv_fail "Postfix's delivery verdicts changed (want < > got)"
fi
echo "$got" | sed 's/^/ok   /'

echo "== 5: through Dovecot submission, after AUTH, foreign mail arrives"
HOP=$(srv_free_port)
srv_dovecot "$HOP"
RELAY_USER=$DOVECOT_USER RELAY_PASS=$DOVECOT_PASS \
  run "$SRV_DIR/dovecot.json" "$DOVECOT_SUBMISSION_PORT" "$HOP" \
  "$CASES/delivery/submission-auth-relays.smtp"
got=$(verdicts "$SRV_DIR/dovecot.json")
[ "$got" = "delivery.submission.auth-relays PASS" ] ||
  { cat "$SRV_DIR/dovecot.json.log"; srv_fail "Dovecot: $got"; }
# in clear or in base64 (an AUTH PLAIN payload) at any alignment
DOVECOT_PASS=$DOVECOT_PASS $SRV_PY "$HERE/secret_scan.py" --secret-env DOVECOT_PASS \
  --secret-env RELAY_PASS "$SRV_DIR"/*.json "$SRV_DIR"/*.log ||
  srv_fail "a password is in a result file or log"
echo "ok   $got"
echo "PASS: delivery_cases"
