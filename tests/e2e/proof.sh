#!/bin/sh
# The proof of the case language (issue: the case language, item 7):
# each proof case passes against the sink's default profile, and under
# a fault that breaks its key assertion it FAILs (WARN for severity
# should) at the key assertion's line.
# Usage: tests/e2e/proof.sh SMTPSUITE_BINARY
set -eu
bin=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
sink_pid=
cleanup() {
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
cd "$src"
failures=0

start_sink() { # FAULT ARGS...
  rm -f "$tmp/port"
  "$bin" sink --listen 127.0.0.1:0 --port-file "$tmp/port" -q "$@" \
    2>"$tmp/sink.err" &
  sink_pid=$!
  i=0
  while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  [ -s "$tmp/port" ] || { cat "$tmp/sink.err"; echo "FAIL: sink did not start"; exit 1; }
}

stop_sink() {
  kill "$sink_pid" 2>/dev/null || true
  wait "$sink_pid" 2>/dev/null || true
  sink_pid=
}

# run ID WANT [SINK ARGS...]: one case against a fresh sink.
run() {
  r_id=$1 r_want=$2
  shift 2
  start_sink "$@"
  "$bin" run --allow-intrusive --target-file cases/targets/sink.target \
    --target "127.0.0.1:$(cat "$tmp/port")" --id "$r_id" cases \
    >"$tmp/out" 2>&1 || true
  stop_sink
  got=$(awk -v id="$r_id" '$2 == id { print $1; exit }' "$tmp/out")
  if [ "$got" != "$r_want" ]; then
    printf "FAIL: %s with '%s': got '%s', want %s\n" "$r_id" "$*" "$got" "$r_want"
    sed 's/^/    /' "$tmp/out"
    failures=$((failures + 1))
    return
  fi
  if [ "$r_want" = PASS ] || [ "$r_want" = SKIP ]; then
    printf 'ok    %s: %s %s\n' "$r_id" "$r_want" "$*"
    return
  fi
  # a finding must come from the key assertion
  file=$(grep -rl "^id: *$r_id\$" cases | head -1)
  key=$(grep -n '^[[:space:]]*!' "$file" | head -1 | cut -d: -f1)
  if ! grep -q "at $file:$key " "$tmp/out" && ! grep -q "at $file:$key\$" "$tmp/out"; then
    printf "FAIL: %s with '%s': %s, but not at the key assertion (line %s)\n" \
      "$r_id" "$*" "$r_want" "$key"
    sed 's/^/    /' "$tmp/out"
    failures=$((failures + 1))
    return
  fi
  printf 'ok    %s: %s at line %s with %s\n' "$r_id" "$r_want" "$key" "$*"
}

# Cases whose capability the default profile lacks: SKIP, saying why.
for id in chunk.data.binarymime-503 \
          auth.cram-md5.succeeds auth.scram-sha-256.succeeds; do
  run "$id" SKIP
done

# id | fault that breaks the key assertion | verdict under the fault
# ('-': no fault of the sink breaks the key alone: the line-too-long
# reply is out of the fault table's reach; HELO-10's refusal would have
# to depend on the EHLO name; a second session refused with 421 is an
# ERROR (tempfail) under CONN-06's expectation. The default run only.)
while IFS='|' read -r id fault want; do
  id=$(echo "$id" | tr -d ' ')
  want=$(echo "$want" | tr -d ' ')
  [ -z "$id" ] && continue
  case $id in sess.*) base_args="--error-limit 5" ;; *) base_args= ;; esac
  # shellcheck disable=SC2086
  run "$id" PASS $base_args
  # "-": no fault of the sink reaches what the key assertion checks
  [ "$want" = - ] && continue
  eval "set -- $fault"
  run "$id" "$want" "$@"
done <<'TABLE'
core.greeting.is-220            | --fault greeting-close                        | FAIL
core.ehlo.wellformed            | --fault 'EHLO -> reply 250 localhost\nBAD_KW!' | FAIL
core.helo.single-line           | --fault helo-multiline                        | FAIL
core.noop.ok                    | --fault 'NOOP -> reply 502 5.5.1 no'          | FAIL
core.rset.clears-envelope       | --fault rset-keeps-envelope                   | FAIL
core.quit.closes                | --fault quit-no-close                         | FAIL
core.transaction.accepted       | --fault 'EOD -> reply 554 5.7.1 no'           | FAIL
core.rcpt.needs-mail            | --fault rcpt-before-mail                      | FAIL
core.data.needs-rcpt            | --fault data-before-rcpt                      | FAIL
core.unknown-command.gets-500   | --fault unknown-502                           | WARN
syn.dataargs.rejected           | --fault args-accepted                         | FAIL
syn.rsetargs.rejected           | --fault args-accepted                         | WARN
syn.quitargs.rejected           | --fault args-accepted                         | WARN
syn.longline.2100-handled       | --line-limit 65536                            | WARN
syn.longline.16500-handled      | --line-limit 65536                            | WARN
syn.longline.70000-handled      | -                                             | -
syn.longline.unterminated-1mib-handled | -                                      | -
txn.nested-mail.rejected        | --fault nested-mail-resets                    | FAIL
pipe.large-group.nothing-lost   | --rcpt-limit 1000 --fault 'MAIL -> extra 250 2.1.0 Ok' | FAIL
pipe.stuffing.ehlo-group-handled | --fault 'MAIL@ready -> reply 503 5.5.1 sync' | FAIL
pipe.stuffing.content-before-354-handled | --fault 'EOD -> reply 550 5.7.1 no'  | FAIL
chunk.bdat.without-mail-503     | --fault 'BDAT@ready -> accept'                | FAIL
chunk.data.after-bdat-503       | --fault data-after-bdat                       | FAIL
chunk.bdat.after-last-503       | --fault 'BDAT@ready -> accept'                | FAIL
smug.lf-dot-lf.not-end-of-data  | --fault smuggle-lf                            | FAIL
smug.lf-dot-crlf.not-end-of-data | --fault smuggle-lf                           | FAIL
smug.crlf-dot-lf.not-end-of-data | --fault smuggle-lf                           | FAIL
helo.name-mismatch.mail-accepted | -                                           | -
conn.concurrent.second-greeted  | -                                             | -
addr.rcpt-limit.452-keeps-earlier | --rcpt-limit 1000                           | FAIL
dos.early-talker.no-desync      | --fault 'EHLO~^early -> raw 220 localhost ESMTP again\r\n' | FAIL
size.declared.over-limit-refused | --fault size-unchecked-at-mail               | WARN
size.declared.malformed-501     | --fault 'MAIL~SIZE=abc -> accept'             | FAIL
sess.421.followed-by-close      | --error-limit 5 --fault 'UNKNOWN -> reply 421 4.7.0 bye' | FAIL
cve.expansion.rcpt-inert        | --fault 'RCPT -> delay 3s'                    | FAIL
cve.metachar.mail-inert         | --fault 'MAIL -> delay 3s'                    | FAIL
cve.params.mail-long-inert      | --fault 'MAIL -> delay 3s'                    | FAIL
reply.count.one-per-command     | --fault 'EOD -> extra 250 2.0.0 Ok'           | FAIL
tls.starttls.no-plaintext-injection | --fault starttls-injection                | FAIL
tls.starttls.forgets-ehlo       | --fault starttls-keeps-session                | FAIL
tls.starttls.resets-transaction | --fault starttls-keeps-session --fault ehlo-keeps-transaction | FAIL
TABLE

if [ $failures -ne 0 ]; then
  echo "proof: $failures failures"
  exit 1
fi
echo "proof: OK"
