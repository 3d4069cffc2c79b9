#!/bin/bash
# Postfix's own SMTP client as the sink's peer: a Postfix instance from
# the rig relays to the sink; messages injected into Postfix with
# smtp-source must all arrive in the sink's arrival log, with Postfix's
# envelope and trace header. Usage: sink_postfix_relay.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
srv_sink
srv_postfix_relay "$SINK_PORT"

timeout 120 smtp-source -s 4 -m 20 -c -f sender@x.test -t user@sink.test \
  "127.0.0.1:$POSTFIX_PORT" > /dev/null
echo
srv_wait_lines "$SINK_DIR/arrivals.jsonl" 20 90 ||
  { tail -20 "$POSTFIX_DIR/maillog"; srv_fail "not all 20 messages arrived"; }
sleep 1
$SRV_PY - "$SINK_DIR/arrivals.jsonl" "$POSTFIX_DIR" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 20, "want 20 records, got %d" % len(recs)
for r in recs:
    assert r["mail_from"]["address"] == "sender@x.test", r["mail_from"]
    assert [x["address"] for x in r["rcpt_to"]] == ["user@sink.test"], r["rcpt_to"]
    assert r["helo"].endswith(".rig.test"), r["helo"]
    assert r["protocol"] == "ESMTP", r["protocol"]
    names = [h["name"] for h in r["headers"]]
    assert names[0] == "Received", names
    # Postfix's client declares SIZE= and BODY=, and uses DSN's ORCPT
    assert "SIZE=" in r["mail_from"]["params"], r["mail_from"]
print("ok 20 messages relayed by Postfix: envelope, trace header, ESMTP")
print("transfer: %s" % sorted({r["transfer"] for r in recs}))
PY
grep -q "status=sent" "$POSTFIX_DIR/maillog" || srv_fail "Postfix logged no delivery"
! grep -q "status=deferred\|status=bounced" "$POSTFIX_DIR/maillog" ||
  srv_fail "Postfix deferred or bounced a message"
echo PASS
