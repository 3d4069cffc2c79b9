#!/usr/bin/python3
"""The case library's own proofs, driven by tests/e2e/library_*.sh, which
start the servers (tests/servers/lib.sh) and run the cases; this file
plans the runs and judges their result files.

  library.py cases SMTPSUITE ROOT          the library: "id<TAB>severity<TAB>tags"
  library.py lint SMTPSUITE ROOT           the library's conventions
  library.py plan SMTPSUITE ROOT OUT       mutants of tests/mutation/faults.tsv
  library.py judge-mutants ROOT OUT [--recheck]
                                           each case FAILs at its key under
                                           its fault; no fault kills > 5%
  library.py judge-profiles ROOT OUT       each case PASSes under a combo
  library.py judge-slow ROOT OUT           the slow cases: PASS and FAIL
  library.py compare ROOT SERVER RESULT VERSION
                                           verdicts against tests/expected
  library.py draft-expected ROOT SERVER RESULT VERSION
                                           a new tests/expected/SERVER.txt on
                                           stdout (re-baselining): reasons kept
                                           where the verdict stayed, the reply
                                           at the deciding step elsewhere

The case list comes from `smtpsuite run --list` (the real parser); result
files are those of docs/result-format.md.
"""
import json
import os
import re
import subprocess
import sys

LIMIT_SHARE = 0.05  # no fault may make more than this share of cases fail
BAD = ("FAIL", "ERROR")


def die(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def library(smtpsuite, root):
    """Every case of the library but load scenarios and delivery cases:
    {id: (sev, tags, file)}. Delivery cases (cases/delivery/) need a relay
    in front of the sink; tests/e2e/delivery_cases.sh proves them."""
    out = subprocess.run(
        [smtpsuite, "run", "--list", "--allow-intrusive", "--cases-dir",
         os.path.join(root, "cases"), os.path.join(root, "cases")],
        capture_output=True, text=True, check=False)
    if out.returncode != 0:
        die("smtpsuite run --list: " + out.stderr.strip())
    cases = {}
    for line in out.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 3:
            continue
        tags = f[2].split()
        if "load" in tags or "delivery" in tags:
            continue  # cases/load/: scenarios of `smtpsuite load`
        cases[f[0]] = (f[1], tags)
    if not cases:
        die("no cases listed")
    return cases


def files(root):
    """{case id: path} from the case files themselves (for lint)."""
    ids = {}
    for d, _, names in os.walk(os.path.join(root, "cases")):
        for n in sorted(names):
            if not n.endswith(".smtp"):
                continue
            p = os.path.join(d, n)
            m = re.search(r"^id:\s*(\S+)", open(p, encoding="utf-8").read(), re.M)
            if m:
                ids[m.group(1)] = p
    return ids


def read_tsv(path, ncols):
    rows = []
    for no, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        f = line.split("\t")
        if len(f) != ncols:
            die(f"{path}:{no}: {len(f)} columns, want {ncols}")
        rows.append((no, f))
    return rows


def combos(root):
    out = {}
    for _, (name, target, args, rows) in read_tsv(
            os.path.join(root, "tests/mutation/combos.tsv"), 4):
        out[name] = (target, args, [] if rows == "-" else rows.split(" ;; "))
    return out


def fault_rows(root, cases):
    """faults.tsv checked against the library: {case: (combo, [rows])}."""
    path = os.path.join(root, "tests/mutation/faults.tsv")
    known = combos(root)
    table = {}
    for no, (case, combo, fault) in read_tsv(path, 3):
        if case in table:
            die(f"{path}:{no}: {case} is listed twice")
        if case not in cases:
            die(f"{path}:{no}: {case} is not a case of the library")
        base = combo[len("blocked-"):] if combo.startswith("blocked-") else combo
        if combo != "pending" and base not in known:
            die(f"{path}:{no}: unknown combo '{combo}' (tests/mutation/combos.tsv)")
        table[case] = (combo, [] if fault == "-" else fault.split(" ;; "))
    missing = sorted(set(cases) - set(table))
    if missing:
        die(f"{path}: no fault for {len(missing)} case(s): " + ", ".join(missing) +
            " (every case names a sink fault under which it fails)")
    return table


# ---- lint -----------------------------------------------------------------

AREAS = {"core", "conn", "helo", "syn", "txn", "addr", "data", "reply", "sess",
         "pipe", "tls", "auth", "size", "mime", "utf8", "dsn", "chunk", "lmtp",
         "smug", "relay", "dos", "cve", "rtls", "load", "proxy", "xclient", "delivery"}
HEADER = re.compile(r"^(id|title|rfc|severity|tags|requires|fixtures|timeout):")


def seconds(d):
    n, u = re.match(r"([0-9.]+)(us|ms|s|m|h)", d).groups()
    return float(n) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[u]


def longest_wait(text):
    """The longest a conformant server makes the case wait: sleeps,
    silences, and expectations that pass on a timeout."""
    w = 0.0
    for line in text.splitlines():
        line = line.strip().lstrip("!").strip()
        m = re.match(r"(?:sleep|expect silence)\s+(\S+)", line)
        if m:
            w = max(w, seconds(m.group(1)))
        m = re.search(r"within\s+(\S+)", line)
        if line.startswith("S:") and m and re.search(r"(^|[|:]\s*)(pass\s+|warn\s+)?timeout", line):
            w = max(w, seconds(m.group(1)))
    return w


def lint_case(cid, path, sev, tags):
    errs = []
    rel = path.split("/cases/", 1)[1]
    area, name = rel.split("/", 1) if "/" in rel else ("", rel)
    parts = cid.split(".")
    if len(parts) != 3:
        errs.append("the id is not AREA.TOPIC.BEHAVIOUR")
    else:
        if parts[0] != area or area not in AREAS:
            errs.append(f"the id's area '{parts[0]}' is not its folder '{area}'")
        if name != f"{parts[1]}-{parts[2]}.smtp":
            errs.append(f"the file is not named {parts[1]}-{parts[2]}.smtp")
    text = open(path, encoding="utf-8").read()
    heads = {m.group(1) for m in map(HEADER.match, text.splitlines()) if m}
    for h in ("rfc", "severity", "tags", "requires"):
        if h not in heads:
            errs.append(f"no '{h}:' header")
    if not any(t.startswith("cat:") for t in tags):
        errs.append("no cat: tag")
    keys = [l for l in text.splitlines() if l.lstrip().startswith("!")]
    if sev != "may" and len(keys) != 1:
        errs.append("no key assertion (a step marked '!')")
    cats = " ".join(tags)
    for word in ("cat:SMUG-", "cat:RELAY-", "cat:SESS-02", "cat:DOS-"):
        if word in cats and "intrusive" not in tags:
            errs.append(f"a {word.strip('cat:-')} case is not tagged intrusive")
    if longest_wait(text) >= 30 and "slow" not in tags:
        errs.append("waits 30 s or more but is not tagged slow")
    return [f"{path}: {e}" for e in errs]


def suite_ids(smtpsuite, root, name):
    out = subprocess.run(
        [smtpsuite, "run", "--list", "--allow-intrusive", "--cases-dir",
         os.path.join(root, "cases"), name], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        die(f"suite {name}: " + out.stderr.strip())
    return {l.split("\t")[0] for l in out.stdout.splitlines() if l.strip()}


def lint_suites(smtpsuite, root, cases):
    """The suites say what they promise (cases/suites/*.suite)."""
    errs = []
    quick = {c for c, (_, t) in cases.items() if "slow" not in t and "intrusive" not in t}
    slow = {c for c, (_, t) in cases.items() if "slow" in t and "intrusive" not in t}
    full = suite_ids(smtpsuite, root, "full")
    if full != quick:
        errs.append("cases/suites/full.suite is not every case that is neither slow nor "
                    f"intrusive: missing {sorted(quick - full)}, extra {sorted(full - quick)}")
    if suite_ids(smtpsuite, root, "full-slow") != quick | slow:
        errs.append("cases/suites/full-slow.suite is not full plus the slow cases")
    smoke = suite_ids(smtpsuite, root, "smoke")
    if len(smoke) > 15:
        errs.append(f"cases/suites/smoke.suite has {len(smoke)} cases, more than 15")
    for name in ("conformance", "extensions", "security", "submission", "ci-gate"):
        if not suite_ids(smtpsuite, root, name):
            errs.append(f"cases/suites/{name}.suite selects nothing")
    return errs


def cmd_lint(smtpsuite, root):
    cases = library(smtpsuite, root)
    paths = files(root)
    errs = []
    for cid, (sev, tags) in sorted(cases.items()):
        if cid not in paths:
            errs.append(f"{cid}: no file")
            continue
        errs += lint_case(cid, paths[cid], sev, tags)
    errs += lint_suites(smtpsuite, root, cases)
    for e in errs:
        print(e)
    if errs:
        die(f"{len(errs)} convention(s) broken (docs/case-format.md, "
            "'Conventions of the case library')")
    print(f"lint: {len(cases)} cases follow the library's conventions")


# ---- mutants ----------------------------------------------------------------

def cmd_plan(smtpsuite, root, out):
    """Writes OUT/plan.tsv: mutant, combo, fault file, cases; OUT/combos.tsv;
    OUT/library.tsv (id, severity, tags)."""
    cases = library(smtpsuite, root)
    table = fault_rows(root, cases)
    known = combos(root)
    os.makedirs(out, exist_ok=True)
    mutants, slow = {}, []
    for case, (combo, rows) in sorted(table.items()):
        if combo == "pending" or combo.startswith("blocked-"):
            continue
        if "slow" in cases[case][1]:
            slow.append((case, combo, rows))  # tests/e2e/library_slow.sh
            continue
        mutants.setdefault((combo, tuple(rows)), []).append(case)
    with open(os.path.join(out, "plan.tsv"), "w") as fp:
        for n, ((combo, rows), cs) in enumerate(sorted(mutants.items())):
            ff = os.path.join(out, f"m{n:03d}.faults")
            with open(ff, "w") as f:
                f.write("\n".join(known[combo][2] + list(rows)) + "\n")
            # A sink that serves one session at a time is measured with
            # one case at a time: the others would only wait their turn.
            jobs = 1 if "serial=on" in rows else 200
            fp.write(f"m{n:03d}\t{combo}\t{ff}\t{jobs}\t{','.join(cs)}\n")
    with open(os.path.join(out, "slow-plan.tsv"), "w") as fp:
        for n, (case, combo, rows) in enumerate(slow):
            ff = os.path.join(out, f"s{n:03d}.faults")
            with open(ff, "w") as f:
                f.write("\n".join(known[combo][2] + list(rows)) + "\n")
            fp.write(f"{case}\t{combo}\t{ff}\n")
    with open(os.path.join(out, "users"), "w") as fp:
        fp.write(f"alice:{os.environ.get('SINK_PASS', '')}:"
                 f"{os.environ.get('SINK_TOKEN', '')}\n")
    with open(os.path.join(out, "combos.tsv"), "w") as fp:
        for name, (target, args, rows) in sorted(known.items()):
            args = args.replace("@OUT@", out)
            ff = os.path.join(out, f"{name}.faults")
            with open(ff, "w") as f:
                f.write("\n".join(rows) + "\n")
            fp.write(f"{name}\t{target}\t{args}\t{ff}\n")
    with open(os.path.join(out, "library.tsv"), "w") as fp:
        for cid, (sev, tags) in sorted(cases.items()):
            fp.write(f"{cid}\t{sev}\t{' '.join(tags)}\n")
    pend = sorted(c for c, (combo, _) in table.items() if combo == "pending")
    blocked = sorted(c for c, (combo, _) in table.items() if combo.startswith("blocked-"))
    print(f"plan: {len(mutants)} faults for {len(table) - len(pend) - len(blocked)} cases; "
          f"pending (no sink support yet): {', '.join(pend) or 'none'}")
    if blocked:
        print(f"plan: BLOCKED by an engine bug (see faults.tsv): {', '.join(blocked)}")


def load_library(out):
    lib = {}
    for line in open(os.path.join(out, "library.tsv")):
        cid, sev, tags = line.rstrip("\n").split("\t")
        lib[cid] = (sev, tags.split())
    return lib


def results(path):
    if not os.path.exists(path):
        die(f"no result file {path}")
    return {c["id"]: c for c in json.load(open(path))["cases"]}


def decisive(c):
    i = c.get("decisive_step", -1)
    steps = c.get("steps", [])
    return steps[i] if 0 <= i < len(steps) else None


def where(c):
    st = decisive(c)
    if not st:
        return "no decisive step"
    return f"line {st.get('line')} ({st.get('name')}{', key' if st.get('key') else ''})"


def mutant_findings(lib, limit, out, m, combo, ff, cs):
    """Findings of one mutant: (errors, killed cases, fault text)."""
    fault = " ;; ".join(l.strip() for l in open(ff) if l.strip())
    base = results(os.path.join(out, f"base-{combo}.json"))
    got = results(os.path.join(out, f"{m}.json"))
    again = os.path.join(out, f"{m}-recheck.json")
    if os.path.exists(again):
        got.update(results(again))  # a quieter second look wins
    errs = []
    for cid in cs.split(","):
        c = got.get(cid)
        if c is None:
            errs.append(f"{cid}: not run under '{fault}'")
            continue
        sev = lib[cid][0]
        if c["verdict"] != "FAIL":
            errs.append(f"{cid} [{combo}] under '{fault}': {c['verdict']}, want FAIL"
                        f" ({c.get('reason', '')})")
        elif sev != "may" and not (decisive(c) or {}).get("key"):
            errs.append(f"{cid} [{combo}] under '{fault}': FAIL at {where(c)}, "
                        f"not at its key assertion ({c.get('reason', '')})")
    killed = sorted(i for i, c in got.items()
                    if c["verdict"] in BAD and base.get(i, {}).get("verdict") not in BAD)
    if len(killed) > limit:
        errs.append(f"'{fault}' [{combo}] makes {len(killed)} cases fail, more than "
                    f"5% of {len(lib)} ({limit}): {', '.join(killed)}")
    return errs, killed, fault


def cmd_judge_mutants(root, out, recheck=False):
    """With recheck, writes OUT/recheck.tsv: the mutants with a finding
    and the cases to run again one at a time (a loaded machine, e.g. a
    sanitizer build, makes cases time out that a fault did not break);
    else judges, a recheck's results overriding the first run's."""
    lib = load_library(out)
    limit = int(LIMIT_SHARE * len(lib))
    errs, worst, again = [], (0, ""), []
    for line in open(os.path.join(out, "plan.tsv")):
        m, combo, ff, jobs, cs = line.rstrip("\n").split("\t")
        e, killed, fault = mutant_findings(lib, limit, out, m, combo, ff, cs)
        if e:
            ids = sorted(set(cs.split(",")) | set(killed))
            again.append(f"{m}-recheck\t{combo}\t{ff}\t{jobs}\t{','.join(ids)}\n")
        errs += e
        if len(killed) > worst[0]:
            worst = (len(killed), fault)
    if recheck:
        with open(os.path.join(out, "recheck.tsv"), "w") as fp:
            fp.writelines(again)
        print(f"mutants: {len(again)} to look at again, quietly")
        return
    for e in errs:
        print(e)
    if errs:
        die(f"{len(errs)} mutation finding(s)")
    print(f"mutants: every case fails at its key under its fault; the widest "
          f"fault makes {worst[0]} of {len(lib)} cases fail ({worst[1]})")


def cmd_judge_profiles(root, out):
    lib = load_library(out)
    table = fault_rows(root, lib)
    runs = {}
    for line in open(os.path.join(out, "combos.tsv")):
        name = line.split("\t")[0]
        runs[name] = results(os.path.join(out, f"base-{name}.json"))
    errs = []
    for cid, (sev, tags) in sorted(lib.items()):
        if "slow" in tags:
            continue  # tests/e2e/library_slow.sh
        got = {n: r[cid]["verdict"] for n, r in runs.items() if cid in r}
        pending = table[cid][0] == "pending"
        if "PASS" not in got.values() and not pending:
            errs.append(f"{cid}: passes under no sink combination: {got}")
        if set(got.values()) <= {"SKIP"} and not pending:
            errs.append(f"{cid}: SKIPped under every sink combination")
        if runs["mx"][cid]["verdict"] in BAD and not pending:
            c = runs["mx"][cid]
            errs.append(f"{cid}: {c['verdict']} against the conformant sink (mx): "
                        f"{c.get('reason', '')}")
    for e in errs:
        print(e)
    if errs:
        die(f"{len(errs)} profile finding(s)")
    pend = sorted(c for c, (combo, _) in table.items() if combo == "pending")
    print(f"profiles: every case passes under one of {', '.join(sorted(runs))}"
          + (f"; pending (no sink support yet): {', '.join(pend)}" if pend else ""))


def cmd_judge_slow(root, out):
    """OUT/slow.tsv: case, mode (pass|fail), result file."""
    lib = load_library(out)
    errs = []
    for line in open(os.path.join(out, "slow.tsv")):
        cid, mode, path = line.rstrip("\n").split("\t")
        c = results(path).get(cid)
        if c is None:
            errs.append(f"{cid}: not run ({path})")
        elif mode == "pass" and c["verdict"] != "PASS":
            errs.append(f"{cid}: {c['verdict']} against the sink, want PASS ({c.get('reason', '')})")
        elif mode == "fail" and c["verdict"] != "FAIL":
            errs.append(f"{cid}: {c['verdict']} under its fault, want FAIL ({c.get('reason', '')})")
        elif mode == "fail" and lib[cid][0] != "may" and not (decisive(c) or {}).get("key"):
            errs.append(f"{cid}: FAIL at {where(c)}, not at its key assertion")
    for e in errs:
        print(e)
    if errs:
        die(f"{len(errs)} slow-case finding(s)")
    print("slow: every slow case passes against the sink and fails under its fault")


# ---- expected verdicts on real servers -----------------------------------

EXPECT_LINE = re.compile(r"^(\S+)\s+(PASS|WARN|FAIL|ERROR|SKIP)\s*(?:#\s*(.*))?$")


def cmd_compare(root, server, result_path, version):
    path = os.path.join(root, "tests/expected", server + ".txt")
    want, head = {}, None
    for no, line in enumerate(open(path, encoding="utf-8"), 1):
        s = line.strip()
        m = re.match(r"^#\s*version:\s*(.+)$", s)
        if m:
            head = m.group(1).strip()
            continue
        if not s or s.startswith("#"):
            continue
        m = EXPECT_LINE.match(s)
        if not m:
            die(f"{path}:{no}: want 'CASE VERDICT  # reason'")
        if not m.group(3):
            die(f"{path}:{no}: {m.group(1)} has no reason (# ...)")
        want[m.group(1)] = (m.group(2), m.group(3))
    if head is None:
        die(f"{path}: no '# version: ...' line")
    if head != version:
        die(f"re-baseline: {server} is now {version}, the expectations in "
            f"tests/expected/{server}.txt are for {head}")
    got = results(result_path)
    diffs = []
    for cid in sorted(set(want) | set(got)):
        w = want.get(cid, ("(none)", "not in the expected file"))
        c = got.get(cid)
        g = c["verdict"] if c else "(not run)"
        if w[0] != g:
            why = c.get("reason", "") if c else ""
            diffs.append(f"  {cid}: expected {w[0]}, got {g}\n"
                         f"      expected because: {w[1]}\n"
                         f"      reason now: {why}")
    if diffs:
        print(f"{server}: {len(diffs)} verdict(s) differ from tests/expected/{server}.txt:")
        print("\n".join(diffs))
        die(f"{server}: verdicts changed")
    notes = open(os.path.join(root, "docs/conformance-notes.md"), encoding="utf-8").read()
    unexplained = sorted(c for c, (v, _) in want.items()
                         if v not in ("PASS", "SKIP") and f"`{c}`" not in notes)
    if unexplained:
        die(f"{server}: not explained in docs/conformance-notes.md: " + ", ".join(unexplained))
    print(f"{server} {version}: {len(want)} verdicts as expected, each non-PASS "
          "explained in docs/conformance-notes.md")


def expected(root, server):
    path = os.path.join(root, "tests/expected", server + ".txt")
    want = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            m = EXPECT_LINE.match(line.strip())
            if m:
                want[m.group(1)] = (m.group(2), m.group(3) or "")
    return want


def key_reply(c):
    """What came at the deciding step (else the key step), as one line."""
    st = decisive(c)
    if not st:
        st = next((s for s in c.get("steps", []) if s.get("key")), None)
    if not st:
        return ""
    r = (st.get("reply") or st.get("alt") or "").split("\\r\\n")[0]
    return r[:100]


def cmd_draft_expected(root, server, result_path, version):
    old = expected(root, server)
    got = results(result_path)
    print(f"# Verdicts of the case library against {server} (tests/e2e/library_servers.sh).")
    print("# One case a line: id, verdict, and after '#' why; every verdict that")
    print("# is not PASS is explained in docs/conformance-notes.md. The version is")
    print("# the Debian package's; re-baseline with")
    print("#   tests/e2e/library.py draft-expected ROOT SERVER RESULT VERSION")
    print(f"# version: {version}")
    for cid in sorted(got):
        c = got[cid]
        v = c["verdict"]
        if cid in old and old[cid][0] == v and old[cid][1]:
            why = old[cid][1]
        elif v == "SKIP":
            why = c.get("reason", "")
        elif v == "PASS":
            why = key_reply(c) or "as required"
        else:
            why = "TODO " + c.get("reason", "")
        print(f"{cid:45} {v:5}  # {why}")


def main(argv):
    if len(argv) < 2:
        die(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "cases":
        for cid, (sev, tags) in sorted(library(args[0], args[1]).items()):
            print(f"{cid}\t{sev}\t{' '.join(tags)}")
    elif cmd == "lint":
        cmd_lint(args[0], args[1])
    elif cmd == "plan":
        cmd_plan(args[0], args[1], args[2])
    elif cmd == "judge-mutants":
        cmd_judge_mutants(args[0], args[1], "--recheck" in args[2:])
    elif cmd == "judge-profiles":
        cmd_judge_profiles(args[0], args[1])
    elif cmd == "judge-slow":
        cmd_judge_slow(args[0], args[1])
    elif cmd == "draft-expected":
        cmd_draft_expected(args[0], args[1], args[2], args[3])
    elif cmd == "compare":
        cmd_compare(args[0], args[1], args[2], args[3])
    else:
        die(f"unknown command '{cmd}'")


if __name__ == "__main__":
    main(sys.argv)
