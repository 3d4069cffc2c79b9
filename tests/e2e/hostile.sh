#!/usr/bin/env bash
# The hostile-server matrix (docs/hardening.md). The sink plays each
# broken or hostile server through its fault table; a case of
# tests/e2e/cases/hostile meets each one and must end in exactly one
# clear FAIL or ERROR of the expected kind, within the timeouts, with a
# bounded transcript, while a healthy case of the same run PASSes.
# Then `load` runs the same mix and must count the failures and carry
# on; the client's peak RSS (/usr/bin/time -v) stays within a bound over
# a healthy run's; nothing the server sent reaches the console or the
# HTML unescaped. Usage: hostile.sh SMTPSUITE
set -u
. "$(dirname "$0")/../servers/lib.sh"
srv_init "$1"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CASES=$HERE/cases/hostile
OUT=$SRV_DIR/out
mkdir -p "$OUT"
TARGET=$ROOT/cases/targets/sink.target
# Peak RSS a hostile run may add to a healthy run's (KiB): generous, yet
# far below the 1 MiB line, the endless reply or the 64 MiB message the
# client would hold if it buffered what it meets.
RSS_SLACK_KB=${HOSTILE_RSS_SLACK_KB:-32768}
# The longest any hostile case may take: the ci timeouts are 10 s.
CASE_MAX_US=16000000

# One sink serves the scenarios a NOOP argument can select, so they run
# side by side with healthy cases in one run. ';' inside raw is \x3b.
cat > "$OUT/faults.txt" <<'EOF'
NOOP~^no-crlf$ -> raw 250 this line never ends
NOOP~^huge-line$ -> pad 1048576
NOOP~^endless$ -> raw 250-endless\r\n; endless 250-and more\r\n
NOOP~^trickle$ -> trickle 1s
NOOP~^hostile-bytes$ -> raw 250 nul\x00 esc\x1b[31mred\x1b]0\x3btitle\x07 csi\xc2\x9b2J bad\xff\xfe\xc0\x80 end\r\n
NOOP~^reset$ -> raw 250-first line\r\n250-second li; rst
NOOP~^extra$ -> extra 250 2.0.0 Ok
EOF
srv_sink --quiet --fault-file "$OUT/faults.txt"
MAIN=$SINK_PORT
# The others hit every session of their sink: one sink each.
declare -A PORT=()
for spec in 'banner|CONNECT -> delay 1h' \
  'close-in-data|DATA -> close-after' \
  'no-read|DATA -> no-read' \
  'garbage-tls|STARTTLS -> raw 220 2.0.0 Ready to start TLS\r\nthis is not TLS\r\n\x00\x01\x02; keep-state'; do
  srv_sink --quiet --fault "${spec#*|}"
  PORT[${spec%%|*}]=$SINK_PORT
done

# timed NAME ARGS...: smtpsuite ARGS under /usr/bin/time, in the
# background; console in $OUT/NAME.out, exit code in $OUT/NAME.rc.
timed() {
  local name=$1
  shift
  (
    /usr/bin/time -v -o "$OUT/$name.time" "$SMTPSUITE" "$@" \
      > "$OUT/$name.out" 2>&1
    echo $? > "$OUT/$name.rc"
  ) &
  RUNS+=($!)
}
RUNS=()
run_on() { # NAME PORT [run args]: reports in $OUT/NAME.{json,html,xml}
  local name=$1 port=$2
  shift 2
  timed "$name" run -T "$TARGET" -t "127.0.0.1:$port" -j 16 \
    --json "$OUT/$name.json" --html "$OUT/$name.html" --junit "$OUT/$name.xml" "$@"
}

HEALTHY=("$ROOT/cases/core/transaction-accepted.smtp" "$ROOT/cases/core/noop-ok.smtp")
KEYED=(no-crlf huge-line endless trickle hostile-bytes reset extra)
keyed=()
for k in "${KEYED[@]}"; do keyed+=("$CASES/$k.smtp"); done
start=$(date +%s)
run_on baseline "$MAIN" "${HEALTHY[@]}"
run_on main "$MAIN" "${keyed[@]}" "${HEALTHY[@]}"
for n in "${!PORT[@]}"; do
  run_on "$n" "${PORT[$n]}" "$CASES/$n.smtp"
done
# Implicit TLS against a plaintext server: its greeting is the garbage.
# Whether the greeting is read before the handshake starts is a race (it
# used to hang until the TLS timeout when it was): four runs.
for i in "" -2 -3 -4; do
  run_on "garbage-tls-implicit$i" "$MAIN" --tls implicit "$CASES/garbage-tls-implicit.smtp"
done
# load: the same mix, weighted towards the healthy transaction.
mix=("${HEALTHY[0]}:4")
for k in "${KEYED[@]}"; do mix+=("$CASES/$k.smtp"); done
timed load load -T "$TARGET" -t "127.0.0.1:$MAIN" -r 20 -d 3s \
  --json "$OUT/load.json" "${mix[@]}"
wait "${RUNS[@]}"
echo "all runs done in $(($(date +%s) - start)) s"

for f in "$OUT"/*.out; do
  echo "== $(basename "$f" .out) (exit $(cat "${f%.out}.rc"))"
  cat -v "$f" | cut -c1-200
done

for f in "$OUT"/*.xml; do
  xmllint --noout --schema "$ROOT/tests/schema/junit.xsd" "$f" ||
    srv_fail "$(basename "$f") does not validate"
done

/usr/bin/python3 - "$OUT" "$RSS_SLACK_KB" "$CASE_MAX_US" <<'PY' || srv_fail "the hostile matrix (see above)"
import json, os, re, sys
out, slack, case_max = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# case id -> (verdict, category, reason pattern, run, exit code)
WANT = {
    "banner": ("ERROR", "timeout", r"no reply to banner", 3),
    "no-crlf": ("ERROR", "timeout", r"no reply to noop", None),
    "trickle": ("ERROR", "timeout", r"no reply to noop", None),
    "huge-line": ("FAIL", "", r"longer than 8192 octets", None),
    "endless": ("FAIL", "", r"longer than 512 lines", None),
    "hostile-bytes": ("FAIL", "", r"control character in reply text", None),
    "reset": ("FAIL", "", r"closed the connection instead of replying", None),
    "extra": ("FAIL", "", r"expected 221 to quit.*got 250", None),
    "close-in-data": ("FAIL", "", r"closed the connection instead of replying to eod", 1),
    "no-read": ("ERROR", "timeout", r"took no message content", 3),
    "garbage-tls": ("FAIL", "", r"plaintext octets after its 220", 1),
    "garbage-tls-implicit": ("FAIL", "", r"plaintext instead of a TLS handshake", 1),
}
bad = []
# Nothing from the server reaches a terminal unescaped: no NUL, BEL, ESC
# or C1 CSI byte in any console output.
for f in sorted(os.listdir(out)):
    if f.endswith(".out") and re.search(rb"[\x00\x07\x1b\x9b]", open(f"{out}/{f}", "rb").read()):
        bad.append(f"{f}: a control byte from the server reached the console")
def rss(name):
    t = open(f"{out}/{name}.time").read()
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
def rc(name):
    return int(open(f"{out}/{name}.rc").read())
seen = {}
for name in ["main"] + [k for k in WANT if os.path.exists(f"{out}/{k}.json")]:
    res = json.load(open(f"{out}/{name}.json"))
    html = open(f"{out}/{name}.html", encoding="utf-8").read()
    for c in res["cases"]:
        cid = c["id"]
        n = html.count(f'data-id="{cid}"')
        if n != 1:
            bad.append(f"{name}: {cid} appears {n} times in the HTML")
        if not cid.startswith("hostile."):
            if c["verdict"] != "PASS":
                bad.append(f"{name}: healthy {cid} got {c['verdict']}: {c.get('reason')}")
            continue
        k = cid[len("hostile."):]
        seen[k] = c
        v, cat, why, _ = WANT[k]
        size = len(json.dumps(c))
        print(f"{k:22} {c['verdict']:5} {c.get('category') or '-':8} "
              f"{c['duration_us'] / 1e6:6.2f} s  {size:6} B  {c.get('reason', '')[:70]}")
        if c["verdict"] != v or (c.get("category") or "") != cat:
            bad.append(f"{k}: {c['verdict']}({c.get('category')}), want {v}({cat})")
        if not re.search(why, c.get("reason", "")):
            bad.append(f"{k}: reason {c.get('reason')!r} lacks /{why}/")
        if c["duration_us"] > case_max:
            bad.append(f"{k}: took {c['duration_us']} us, more than {case_max}")
        if size > 128 * 1024:
            bad.append(f"{k}: its JSON record is {size} octets (transcript unbounded?)")
    if len(html) > 1024 * 1024:
        bad.append(f"{name}: the HTML is {len(html)} octets")
    if re.search("[\x00\x07\x1b\x9b]", html):
        bad.append(f"{name}: a control character from the server is in the HTML")
for k in WANT:
    if k not in seen:
        bad.append(f"{k}: no result")
for i in (2, 3, 4):
    c = json.load(open(f"{out}/garbage-tls-implicit-{i}.json"))["cases"][0]
    if c["verdict"] != "FAIL" or "plaintext instead" not in c.get("reason", ""):
        bad.append(f"garbage-tls-implicit run {i}: {c['verdict']}: {c.get('reason')}")
main = json.load(open(f"{out}/main.json"))["summary"]
if (main["PASS"], main["FAIL"], main["ERROR"]) != (2, 5, 2):
    bad.append(f"main run: summary {main}, want 2 PASS, 5 FAIL, 2 ERROR")
if rc("main") != 1:
    bad.append(f"main run: exit {rc('main')}, want 1")
for k, (_, _, _, want_rc) in WANT.items():
    if want_rc is not None and os.path.exists(f"{out}/{k}.rc") and rc(k) != want_rc:
        bad.append(f"{k}: exit {rc(k)}, want {want_rc}")
# The escaped bytes are shown: the HTML names them, the raw ones are not.
html = open(f"{out}/main.html", encoding="utf-8").read()
if "\\x1b[31mred" not in html or "\\x00" not in html:
    bad.append("main.html does not show the hostile bytes escaped")
# load counts the hostile sessions and carries on.
ld = {c["name"]: c["value"] for c in json.load(open(f"{out}/load.json"))["counters"]}
print("load: " + ", ".join(f"{n}={ld[n]}" for n in ("sessions.scheduled", "sessions.ended",
      "sessions.cutoff", "sessions.ok", "sessions.errors", "messages.accepted")))
# (a session still waiting out a 10 s timeout when the drain ends is
# cut off, and counted as such)
if not (ld["sessions.scheduled"] == ld["sessions.started"] ==
        ld["sessions.ended"] + ld["sessions.cutoff"] > 0):
    bad.append("load: a scheduled session was neither ended nor cut off")
if ld["sessions.ok"] < 1 or ld["sessions.errors"] < 1:
    bad.append("load: want both ok and failed sessions")
if ld["sessions.ok"] + ld["sessions.errors"] != ld["sessions.ended"]:
    bad.append("load: ok + errors != ended")
if ld["messages.accepted"] != ld["messages.sent"] or ld["messages.accepted"] < 1:
    bad.append("load: messages sent and accepted differ")
if rc("load") != 0:
    bad.append(f"load: exit {rc('load')}, want 0")
# Memory stays bounded.
base = rss("baseline")
for name in ["main", "no-read", "load"]:
    r = rss(name)
    print(f"peak RSS {name}: {r} KiB (healthy run {base} KiB)")
    if r > base + slack:
        bad.append(f"{name}: peak RSS {r} KiB, more than {base} + {slack}")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
echo "hostile matrix: ok"
