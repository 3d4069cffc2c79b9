# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are read by the tests
# tests/servers/lib.sh: the server rig shared by every end-to-end test.
#
# Source it from a bash test, then call srv_init with the smtpsuite
# binary. It starts servers on free loopback ports, each in a private
# directory under one temporary folder, prints their versions at the
# top of the output, and stops everything it started on exit, also when
# the test fails (trap). Every starter prints the port it got and sets a
# variable with it:
#   srv_sink [sink args]          SINK_PORT SINK_PID SINK_DIR (record:
#                                 $SINK_DIR/arrivals.jsonl, log: .../log,
#                                 served certificate: .../cert.pem)
#   srv_postfix [main.cf lines]   POSTFIX_PORT POSTFIX_DIR
#   srv_postfix_relay PORT [...]  a Postfix relaying everything to
#                                 [127.0.0.1]:PORT (e.g. $SINK_PORT)
#   srv_postfix_bounce PORT [...] the same, set to bounce at once: a DSN
#                                 for a 5xx reaches [127.0.0.1]:PORT
#   srv_postfix_tls CERT KEY [...] a Postfix with STARTTLS on POSTFIX_PORT
#                                 and implicit TLS (smtpd_tls_wrappermode)
#                                 on POSTFIX_SMTPS_PORT
#   srv_aiosmtpd [--tls-cert F --tls-key F [--require-tls]]
#                                 AIOSMTPD_PORT (record: $AIOSMTPD_DIR/...)
#   srv_relay NEXT [args]         tests/servers/relay.py in front of
#                                 127.0.0.1:NEXT: RELAY_PORT RELAY_PID
#                                 RELAY_DIR; srv_stop_relay [PID DIR]
#   srv_delivery_check JSON EXPR  a result file's delivery figures hold
#   srv_dovecot [RELAYPORT]       DOVECOT_SUBMISSION_PORT DOVECOT_LMTP_PORT
#                                 DOVECOT_USER DOVECOT_PASS; set
#                                 SRV_DOVECOT_MECHS (default "plain login")
#                                 and SRV_DOVECOT_CONF (more lines) first
#   srv_stop_sink [PID DIR]       stops a sink (the last by default); one
#                                 that exits other than 0 (or
#                                 SRV_SINK_WANT[PID]) or logged a sanitizer
#                                 report fails the test at exit
#   srv_stop_all                  stops everything (the trap calls it)
#   srv_certs                     a test CA and certificates made with
#                                 openssl(1): SRV_CA, SRV_CERT/SRV_KEY
#                                 (localhost, 127.0.0.1, sink.test),
#                                 SRV_CLIENT_CERT/SRV_CLIENT_KEY
# Helpers: srv_free_port, srv_wait_port PORT, srv_wait_lines FILE N,
# srv_wait_port_file WHO PID DIR,
# srv_fail MESSAGE. SRV_KEEP=1 keeps the folder for a post-mortem.
# Postfix runs as root with `postfix -c DIR start`; there is no systemd.

SRV_PY=/usr/bin/python3 # Debian's Python, which has aiosmtpd
SRV_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRV_DIR=
SRV_STOPS=()
SRV_N=0
SRV_BAD=
declare -A SRV_SINK_WANT=() # exit status expected of a sink (default 0)

srv_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

srv_versions() {
  echo "== servers and tools"
  echo "smtpsuite: $("$SMTPSUITE" --version 2>/dev/null | head -1)"
  echo "postfix:   $(postconf -d mail_version 2>/dev/null | sed 's/.*= //')"
  echo "aiosmtpd:  $($SRV_PY -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null)"
  echo "dovecot:   $(dovecot --version 2>/dev/null)"
  echo "swaks:     $(swaks --version 2>/dev/null | head -1)"
  echo "python:    $($SRV_PY --version 2>&1)"
  echo "=="
}

# srv_init SMTPSUITE_BINARY: the private folder, the trap, the versions.
srv_init() {
  SMTPSUITE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  [ -x "$SMTPSUITE" ] || srv_fail "srv_init: '$1' is not executable"
  SRV_DIR=$(mktemp -d /tmp/smtpsuite-rig.XXXXXX)
  chmod 755 "$SRV_DIR"
  trap 'srv_on_exit $?' EXIT
  trap 'exit 130' INT TERM
  srv_versions
}

srv_on_exit() {
  local rc=$1
  if [ "$rc" != 0 ] && [ -n "$SRV_DIR" ]; then
    echo "== exit $rc: server logs (last lines)"
    for f in "$SRV_DIR"/*/log "$SRV_DIR"/*/maillog "$SRV_DIR"/*/dovecot.log; do
      [ -f "$f" ] && { echo "-- $f"; tail -n 30 "$f"; }
    done
  fi
  srv_stop_all
  if [ -n "$SRV_BAD" ] && [ "$rc" = 0 ]; then
    echo "FAIL: a server ended badly (see above)" >&2
    exit 1
  fi
}

# A free loopback TCP port (the kernel's choice; for servers that cannot
# report the port they bound themselves).
srv_free_port() {
  $SRV_PY -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# srv_wait_port PORT [SECONDS]: until something accepts on the port.
srv_wait_port() {
  local port=$1 tries=$(( ${2:-20} * 10 ))
  while [ "$tries" -gt 0 ]; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
    tries=$((tries - 1))
  done
  return 1
}

# srv_wait_lines FILE N [SECONDS]: until FILE has at least N lines.
srv_wait_lines() {
  local f=$1 n=$2 tries=$(( ${3:-30} * 10 ))
  while [ "$tries" -gt 0 ]; do
    [ -f "$f" ] && [ "$(wc -l < "$f")" -ge "$n" ] && return 0
    sleep 0.1
    tries=$((tries - 1))
  done
  return 1
}

# srv_dir NAME: a new private folder in $SRV_NEWDIR (not a subshell, so
# the counter keeps counting).
srv_dir() {
  SRV_N=$((SRV_N + 1))
  SRV_NEWDIR="$SRV_DIR/$1-$SRV_N"
  mkdir -p "$SRV_NEWDIR"
}

# Waits for a process to end, then kills it hard after SECONDS.
srv_reap() {
  srv_reap_nowait "$@"
  wait "$1" 2>/dev/null || true
}

srv_reap_nowait() {
  local pid=$1 tries=$(( ${2:-10} * 10 ))
  while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
    sleep 0.1
    tries=$((tries - 1))
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
  return 0
}

# srv_wait_port_file WHO PID DIR: until PID (started by WHO) has written
# its bound port to DIR/port; its DIR/log and a failure if it exits
# first, or after 10 s.
srv_wait_port_file() {
  local who=$1 pid=$2 d=$3 tries=100
  while [ ! -s "$d/port" ] && [ $tries -gt 0 ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$d/log" >&2; srv_fail "$who: it did not start"; }
    sleep 0.1
    tries=$((tries - 1))
  done
  [ -s "$d/port" ] || srv_fail "$who: no port file after 10 s"
}

# ---- our sink -----------------------------------------------------------

# srv_sink [ARGS...]: `smtpsuite sink --listen :0 --port-file ...` with an
# arrival log in $SINK_DIR/arrivals.jsonl unless ARGS give --record.
srv_sink() {
  local d
  srv_dir sink
  d=$SRV_NEWDIR
  local rec=(--record "$d/arrivals.jsonl")
  case " $* " in *" --record "*|*" -r "*) rec=() ;; esac
  "$SMTPSUITE" sink --listen :0 --port-file "$d/port" "${rec[@]}" \
    --tls-cert-out "$d/cert.pem" "$@" < /dev/null >> "$d/log" 2>&1 &
  SINK_PID=$!
  SINK_DIR=$d
  SRV_STOPS+=("srv_stop_sink $SINK_PID $d")
  srv_wait_port_file srv_sink "$SINK_PID" "$d"
  SINK_PORT=$(cat "$d/port")
  echo "srv_sink: port $SINK_PORT (pid $SINK_PID, $d)"
}

# ---- certificates (openssl(1), made at test time) ------------------------

# srv_certs: a CA, a server certificate for localhost, 127.0.0.1, ::1 and
# sink.test signed by it, and a client certificate (CN=client.test).
srv_certs() {
  local d=$SRV_DIR/certs
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=smtpsuite test CA" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null ||
    srv_fail "srv_certs: openssl req (CA)"
  srv_cert_signed "$d" server "/CN=localhost" \
    "subjectAltName=DNS:localhost,DNS:sink.test,IP:127.0.0.1,IP:::1" serverAuth
  srv_cert_signed "$d" client "/CN=client.test" \
    "subjectAltName=DNS:client.test" clientAuth
  SRV_CA=$d/ca.pem
  SRV_CERT=$d/server.pem
  SRV_KEY=$d/server.key
  SRV_CLIENT_CERT=$d/client.pem
  SRV_CLIENT_KEY=$d/client.key
  chmod 644 "$d"/*
}

# srv_cert_signed DIR NAME SUBJECT SAN EKU: DIR/NAME.pem and .key.
srv_cert_signed() {
  local d=$1 n=$2
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/$n.key" -out "$d/$n.csr" -subj "$3" 2>/dev/null ||
    srv_fail "srv_certs: openssl req ($n)"
  printf '%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$4" "$5" \
    > "$d/$n.ext"
  openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
    -CAcreateserial -days 2 -extfile "$d/$n.ext" -out "$d/$n.pem" 2>/dev/null ||
    srv_fail "srv_certs: openssl x509 ($n)"
}

srv_stop_pid() {
  kill -TERM "$1" 2>/dev/null
  srv_reap "$1" 10
}

# srv_stop_checked WHAT PID DIR WANT ERE: SIGTERM to PID; one that exits
# other than WANT, or whose DIR/log matches ERE, fails the test (at exit).
srv_stop_checked() {
  local what=$1 pid=$2 d=$3 want=$4 bad=$5 rc
  kill -TERM "$pid" 2>/dev/null
  srv_reap_nowait "$pid" 10
  wait "$pid" 2>/dev/null && rc=0 || rc=$?
  if { [ "$rc" != "$want" ] && [ "$rc" != 127 ]; } ||
    grep -q -E "$bad" "$d/log" 2>/dev/null; then
    echo "srv: the $what in $d ended badly (exit $rc):" >&2
    tail -n 40 "$d/log" >&2
    SRV_BAD=1
  fi
  return 0
}

# srv_stop_sink [PID DIR]: SIGTERM to a sink (the last one by default);
# a sink that does not exit 0, or that logged a sanitizer report, fails
# the test (at exit); SRV_SINK_WANT[PID]=N expects exit N instead.
srv_stop_sink() {
  local pid=${1:-$SINK_PID}
  srv_stop_checked sink "$pid" "${2:-$SINK_DIR}" "${SRV_SINK_WANT[$pid]:-0}" \
    "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:"
}

# ---- Postfix ------------------------------------------------------------

srv_postfix_master_cf() {
  local port=$1
  cat <<EOF2
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF2
}

# srv_postfix ["name = value" ...]: a Postfix instance of its own
# (queue, data, log, syslog_name, port) listening on 127.0.0.1. DNS is
# off; loopback is NOT in mynetworks (127.0.0.2/32 is), so a client on
# 127.0.0.1 is treated as a stranger: no relaying, and bare-LF and
# pipelining answers as for the Internet. An extra line replaces the
# rig's line for the same parameter (and goes last): an entry given twice
# makes every Postfix program warn as it starts, and postlogd, respawned
# after its idle exit, sends its own warnings to its own socket; when a
# burst of connections has filled that socket first, the instance
# deadlocks (smtpd never greets).
srv_postfix() {
  local d port
  srv_dir postfix
  d=$SRV_NEWDIR
  port=$(srv_free_port)
  mkdir -p "$d/etc" "$d/queue" "$d/data"
  chown postfix "$d/data"
  srv_postfix_master_cf "$port" > "$d/etc/master.cf"
  [ -n "${SRV_POSTFIX_MASTER_EXTRA:-}" ] &&
    echo "$SRV_POSTFIX_MASTER_EXTRA" >> "$d/etc/master.cf"
  local -a conf=(
    "compatibility_level = 3.6"
    "queue_directory = $d/queue"
    "data_directory = $d/data"
    "syslog_name = postfix-rig-$SRV_N"
    "maillog_file = $d/maillog"
    "maillog_file_prefixes = $d"
    "myhostname = postfix$SRV_N.rig.test"
    "mydomain = rig.test"
    "myorigin = \$myhostname"
    "mydestination = \$myhostname"
    "inet_interfaces = 127.0.0.1"
    "inet_protocols = ipv4"
    "mynetworks = 127.0.0.2/32"
    "disable_dns_lookups = yes"
    "smtp_dns_support_level = disabled"
    "smtp_host_lookup = native"
    "alias_maps ="
    "alias_database ="
    "local_recipient_maps ="
    "biff = no"
    "smtpd_banner = \$myhostname ESMTP"
    "smtp_tls_security_level = none"
    "smtpd_tls_security_level = none"
    "maximal_queue_lifetime = 1h"
    "queue_run_delay = 2s"
    "minimal_backoff_time = 2s"
    "maximal_backoff_time = 4s"
  )
  local line i key
  for line in "$@"; do
    key=${line%%=*}
    for i in "${!conf[@]}"; do
      [ "${conf[i]%%=*}" = "$key" ] && unset 'conf[i]'
    done
    conf+=("$line")
  done
  printf '%s\n' "${conf[@]}" > "$d/etc/main.cf"
  postfix -c "$d/etc" check > "$d/check.log" 2>&1 ||
    { cat "$d/check.log" >&2; srv_fail "srv_postfix: postfix check"; }
  postfix -c "$d/etc" start < /dev/null > "$d/start.log" 2>&1 ||
    { cat "$d/start.log" "$d/maillog" >&2 2>/dev/null; srv_fail "srv_postfix: postfix start"; }
  SRV_STOPS+=("srv_stop_postfix $d")
  srv_wait_port "$port" 20 || { cat "$d/maillog" >&2; srv_fail "srv_postfix: port $port not listening"; }
  POSTFIX_PORT=$port
  POSTFIX_DIR=$d
  echo "srv_postfix: port $port ($d)"
}

# srv_postfix_relay PORT [lines]: Postfix relaying every message for
# any domain it accepts (relay_domains, by default sink.test) to
# [127.0.0.1]:PORT with its own SMTP client.
srv_postfix_relay() {
  local next=$1
  shift
  srv_postfix "relay_domains = sink.test" \
    "relayhost = [127.0.0.1]:$next" \
    "transport_maps = inline:{sink.test=smtp:[127.0.0.1]:$next}" "$@"
}

# srv_postfix_bounce PORT [lines]: srv_postfix_relay for DSN tests. A 5xx
# from the next hop (at RCPT or after the data) is a hard bounce, and the
# DSN to the sender (any domain: relayhost, or sink.test's transport)
# goes to the same next hop at once: measured well under a second. The
# lines only pin what that needs: no soft bounce, no delay warnings, and
# bounce_queue_lifetime within the rig's maximal_queue_lifetime (else
# every Postfix program warns as it starts, see srv_postfix).
srv_postfix_bounce() {
  local next=$1
  shift
  srv_postfix_relay "$next" "soft_bounce = no" "delay_warning_time = 0h" \
    "bounce_queue_lifetime = 1h" "$@"
}

# srv_postfix_tls CERT KEY [lines]: STARTTLS offered on POSTFIX_PORT
# (smtpd_tls_security_level = may) and a submissions-style service with
# TLS from the first byte (smtpd_tls_wrappermode = yes, RFC 8314) on
# POSTFIX_SMTPS_PORT, both with CERT and KEY (PEM).
srv_postfix_tls() {
  local cert=$1 key=$2 smtps
  shift 2
  smtps=$(srv_free_port)
  SRV_POSTFIX_MASTER_EXTRA="127.0.0.1:$smtps inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt"
  srv_postfix "smtpd_tls_security_level = may" "smtpd_tls_cert_file = $cert" \
    "smtpd_tls_key_file = $key" "smtpd_tls_loglevel = 1" "$@"
  SRV_POSTFIX_MASTER_EXTRA=
  srv_wait_port "$smtps" 20 ||
    { cat "$POSTFIX_DIR/maillog" >&2; srv_fail "srv_postfix_tls: port $smtps"; }
  POSTFIX_SMTPS_PORT=$smtps
  echo "srv_postfix_tls: STARTTLS on $POSTFIX_PORT, implicit TLS on $smtps"
}

srv_stop_postfix() {
  local d=$1 pid=
  [ -f "$d/queue/pid/master.pid" ] && pid=$(tr -d ' ' < "$d/queue/pid/master.pid")
  postfix -c "$d/etc" stop > /dev/null 2>&1
  [ -n "$pid" ] && srv_reap "$pid" 10
}

# ---- aiosmtpd -----------------------------------------------------------

srv_aiosmtpd() {
  local d port
  srv_dir aiosmtpd
  d=$SRV_NEWDIR
  port=$(srv_free_port)
  $SRV_PY "$SRV_HERE/aiosmtpd_server.py" --port "$port" \
    --record "$d/arrivals.jsonl" "$@" < /dev/null > "$d/log" 2>&1 &
  AIOSMTPD_PID=$!
  SRV_STOPS+=("srv_stop_pid $AIOSMTPD_PID")
  srv_wait_port "$port" 20 || { cat "$d/log" >&2; srv_fail "srv_aiosmtpd: not listening"; }
  AIOSMTPD_PORT=$port
  AIOSMTPD_DIR=$d
  echo "srv_aiosmtpd: port $port ($d)"
}

# srv_delivery_check JSON EXPR: EXPR, a Python expression over a result
# file's delivery figures (d the file, c its counters, p its properties,
# h its "delivery" histograms), must hold; prints ok/FAIL with the
# non-zero delivery counters. Exit status 1 when it does not hold.
srv_delivery_check() {
  $SRV_PY - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["name"]: x["value"] for x in d["counters"]}
p = {x["name"]: x["value"] for x in d.get("properties", [])}
h = [x for x in d["histograms"] if x["name"] == "delivery"]
ok = eval(sys.argv[2])
show = {k: v for k, v in c.items() if k.startswith("delivery.") and v}
print(("ok   " if ok else "FAIL ") + sys.argv[2] + "   " + json.dumps(show))
sys.exit(0 if ok else 1)
PY
}

# ---- the test relay (tests/servers/relay.py) ------------------------------

# srv_relay NEXT_PORT [relay.py args, e.g. --mode pass]: the strict test
# relay in front of 127.0.0.1:NEXT_PORT; RELAY_PORT RELAY_PID RELAY_DIR
# (log: $RELAY_DIR/log, one line per session and per message).
srv_relay() {
  local next=$1 d
  shift
  srv_dir relay
  d=$SRV_NEWDIR
  $SRV_PY "$SRV_HERE/relay.py" --listen 127.0.0.1:0 --port-file "$d/port" \
    --next "127.0.0.1:$next" "$@" < /dev/null >> "$d/log" 2>&1 &
  RELAY_PID=$!
  RELAY_DIR=$d
  SRV_STOPS+=("srv_stop_relay $RELAY_PID $d")
  srv_wait_port_file srv_relay "$RELAY_PID" "$d"
  RELAY_PORT=$(cat "$d/port")
  echo "srv_relay: port $RELAY_PORT -> $next ($*) (pid $RELAY_PID, $d)"
}

# srv_stop_relay [PID DIR]: SIGTERM; a relay that does not exit 0 (or a
# Python traceback in its log) fails the test at exit.
srv_stop_relay() {
  srv_stop_checked relay "${1:-$RELAY_PID}" "${2:-$RELAY_DIR}" 0 "^Traceback"
}

# ---- Dovecot (submission with SASL, LMTP) -------------------------------

# srv_dovecot [RELAYPORT]: Dovecot's submission service (AUTH PLAIN and
# LOGIN with a passwd-file user, no TLS: loopback only) relaying to
# 127.0.0.1:RELAYPORT, and its LMTP service.
srv_dovecot() {
  local d sub lmtp relay=${1:-25}
  srv_dir dovecot
  d=$SRV_NEWDIR
  sub=$(srv_free_port)
  lmtp=$(srv_free_port)
  mkdir -p "$d/run" "$d/state" "$d/mail" "$d/home"
  chown dovecot:dovecot "$d/mail" "$d/home"
  DOVECOT_USER=tester
  DOVECOT_PASS=rig-secret-$$
  echo "$DOVECOT_USER:{PLAIN}$DOVECOT_PASS" > "$d/users"
  chmod 644 "$d/users"
  cat > "$d/dovecot.conf" <<EOF2
protocols = submission lmtp
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
instance_name = dovecot-rig-$SRV_N
hostname = dovecot$SRV_N.rig.test
ssl = no
disable_plaintext_auth = no
auth_mechanisms = ${SRV_DOVECOT_MECHS:-plain login}
mail_location = maildir:$d/mail/%n
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $d/users
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$d/home/%n
}
submission_relay_host = 127.0.0.1
submission_relay_port = $relay
service submission-login {
  inet_listener submission {
    address = 127.0.0.1
    port = $sub
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp
  }
}
${SRV_DOVECOT_CONF:-}
EOF2
  dovecot -c "$d/dovecot.conf" < /dev/null > "$d/start.log" 2>&1 ||
    { cat "$d/start.log" >&2; srv_fail "srv_dovecot: dovecot did not start"; }
  SRV_STOPS+=("srv_stop_dovecot $d")
  if ! srv_wait_port "$sub" 20 || ! srv_wait_port "$lmtp" 20; then
    cat "$d/dovecot.log" >&2
    srv_fail "srv_dovecot: not listening"
  fi
  DOVECOT_SUBMISSION_PORT=$sub
  DOVECOT_LMTP_PORT=$lmtp
  DOVECOT_DIR=$d
  echo "srv_dovecot: submission port $sub, lmtp port $lmtp ($d)"
}

srv_stop_dovecot() {
  local d=$1 pid=
  [ -f "$d/run/master.pid" ] && pid=$(cat "$d/run/master.pid")
  dovecot -c "$d/dovecot.conf" stop > /dev/null 2>&1
  [ -n "$pid" ] && srv_reap "$pid" 10
}

# ---- stopping -----------------------------------------------------------

srv_stop_all() {
  local i
  set +e # stopping must not stop half-way
  for ((i = ${#SRV_STOPS[@]} - 1; i >= 0; i--)); do
    eval "${SRV_STOPS[$i]}"
  done
  SRV_STOPS=()
  if [ -n "$SRV_DIR" ] && [ -z "${SRV_KEEP:-}" ]; then
    rm -rf "$SRV_DIR"
  elif [ -n "$SRV_DIR" ]; then
    echo "srv: kept $SRV_DIR"
  fi
  SRV_DIR=
}
