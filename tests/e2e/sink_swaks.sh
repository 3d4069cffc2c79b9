#!/bin/bash
# The sink driven by swaks: several transactions (one per run, and
# several recipients in one), pipelining, LMTP against the lmtp
# profile, a refused recipient, and swaks's AUTH PLAIN, LOGIN and
# CRAM-MD5 against the submission profile; the arrival log must hold
# exactly the accepted messages. Usage: sink_swaks.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
srv_sink
SW=(timeout 60 swaks --server 127.0.0.1 --port "$SINK_PORT" --helo client.test
  --from sender@x.test --suppress-data)

for i in 1 2 3; do
  "${SW[@]}" --to "r$i@y.test" --header "Subject: swaks-$i" > "$SRV_DIR/sw$i" ||
    { cat "$SRV_DIR/sw$i"; srv_fail "swaks run $i"; }
done
"${SW[@]}" --pipeline --to a@y.test,b@y.test,c@y.test \
  --header "Subject: swaks-pipelined" > "$SRV_DIR/swp" ||
  { cat "$SRV_DIR/swp"; srv_fail "swaks --pipeline"; }
grep -q "^<-  250 2.1.5 Ok" "$SRV_DIR/swp" || srv_fail "no RCPT reply seen"
# a refused recipient: swaks exits 24 ("error in RCPT")
set +e
"${SW[@]}" --to nouser@y.test > "$SRV_DIR/swn"
rc=$?
set -e
[ "$rc" = 24 ] || { cat "$SRV_DIR/swn"; srv_fail "swaks to nouser: exit $rc, want 24"; }
grep -q "^<\*\* 550 5.1.1 <nouser@y.test>" "$SRV_DIR/swn" || srv_fail "no 550 5.1.1"

srv_wait_lines "$SINK_DIR/arrivals.jsonl" 4 10 || srv_fail "arrival log short"
sleep 0.5
$SRV_PY - "$SINK_DIR/arrivals.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 4, "want 4 records, got %d" % len(recs)
subjects = [dict((h["name"], h["value"]) for h in r["headers"])["Subject"]
            for r in recs]
assert subjects == ["swaks-1", "swaks-2", "swaks-3", "swaks-pipelined"], subjects
assert [x["address"] for x in recs[3]["rcpt_to"]] == ["a@y.test", "b@y.test", "c@y.test"]
assert all(r["mail_from"]["address"] == "sender@x.test" for r in recs)
assert all(r["helo"] == "client.test" and r["protocol"] == "ESMTP" for r in recs)
print("arrival log ok: 4 messages")
PY

# LMTP (RFC 2033) with swaks's LMTP client against the lmtp profile
srv_sink --profile lmtp
timeout 60 swaks --server 127.0.0.1 --port "$SINK_PORT" --protocol LMTP \
  --helo client.test --from s@x.test --to a@y.test,b@y.test \
  > "$SRV_DIR/swl" || { cat "$SRV_DIR/swl"; srv_fail "swaks LMTP"; }
[ "$(grep -c '^<-  250 2.1.5 <[ab]@y.test> Ok: delivered' "$SRV_DIR/swl")" = 2 ] ||
  { cat "$SRV_DIR/swl"; srv_fail "want two per-recipient LMTP replies"; }
srv_wait_lines "$SINK_DIR/arrivals.jsonl" 1 10 || srv_fail "LMTP arrival missing"
grep -q '"protocol":"LMTP"' "$SINK_DIR/arrivals.jsonl" || srv_fail "protocol LMTP"

# AUTH (RFC 4954) with swaks's own PLAIN, LOGIN and CRAM-MD5 (this swaks
# has no TLS, so the fault lets the plaintext mechanisms in without it)
srv_sink --profile submission --fault auth-plaintext-without-tls \
  --user alice:swaks-secret-1
for m in PLAIN LOGIN CRAM-MD5; do
  timeout 60 swaks --server 127.0.0.1 --port "$SINK_PORT" --helo client.test \
    --auth "$m" --auth-user alice --auth-password swaks-secret-1 \
    --from alice@x.test --to b@y.test > "$SRV_DIR/swa" 2>&1 ||
    { cat "$SRV_DIR/swa"; srv_fail "swaks AUTH $m"; }
  grep -q '^<-  235 2.7.0' "$SRV_DIR/swa" || { cat "$SRV_DIR/swa"; srv_fail "no 235 to $m"; }
  rc=0
  timeout 60 swaks --server 127.0.0.1 --port "$SINK_PORT" --helo client.test \
    --auth "$m" --auth-user alice --auth-password wrong-secret \
    --from alice@x.test --to b@y.test > "$SRV_DIR/swa" 2>&1 || rc=$?
  [ "$rc" = 28 ] && grep -q '^<\*\* 535 5.7.8' "$SRV_DIR/swa" ||
    { cat "$SRV_DIR/swa"; srv_fail "want 535 (swaks exit 28) to a wrong $m, got exit $rc"; }
  echo "ok swaks AUTH $m: 235, and 535 with a wrong password"
done
srv_wait_lines "$SINK_DIR/arrivals.jsonl" 3 10 || srv_fail "AUTH arrivals missing"
[ "$(grep -c '"protocol":"ESMTPA".*"auth":"alice"' "$SINK_DIR/arrivals.jsonl")" = 3 ] ||
  srv_fail "want 3 ESMTPA records naming alice"
echo PASS
