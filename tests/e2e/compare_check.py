#!/usr/bin/python3
"""Checks for tests/e2e/compare_postfix.sh: what smtpsuite printed and
wrote, read with this file's own parsers (not smtpsuite's), against the
predicted changes.

PRED is lines of "ID VERDICT-ON-A VERDICT-ON-B"; every case not named
there must get one verdict on both targets.
  verdicts PRED A.json B.json        the two runs' verdicts
  diff PRED OUT.txt A.json forward|reverse
                                     compare's report of A B (or B A)
  gate PRED RUN.log BASE.json 0|1    run --baseline's report and its gate
  hash PRED OUT.txt A.json ID        compare of A and a rerun whose case
                                     file ID alone changed
  matrix PRED OUT.txt A.json NAME-A NAME-B
                                     the console matrix, a row per id of A
  json-matrix PRED RUN.json NAME-A NAME-B
  html-matrix PRED RUN.html A.json NAME-A NAME-B
"""
import html.parser
import json
import re
import sys

FAILING = "FAIL"


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def predicted(text):
    out = {}
    for line in text.strip().splitlines():
        cid, va, vb = line.split()
        out[cid] = (va, vb)
    return out


def verdicts(path, target=None):
    run = json.load(open(path))
    return {c["id"]: c["verdict"] for c in run["cases"]
            if target is None or c.get("target") == target}


def differing(a, b):
    """The ids whose verdicts differ, with both verdicts."""
    ids = set(a) | set(b)
    return {i: (a.get(i, "-"), b.get(i, "-")) for i in ids
            if a.get(i, "-") != b.get(i, "-")}


def same_changes(what, got, want):
    if got != want:
        fail(f"{what}: got changes {sorted(got.items())}, "
             f"want exactly {sorted(want.items())}")
    print(f"ok: {what}: exactly the {len(want)} predicted changes")


def cmd_verdicts(pred, pa, pb):
    a, b = verdicts(pa), verdicts(pb)
    if set(a) != set(b):
        fail(f"the runs hold different cases: {sorted(set(a) ^ set(b))}")
    for cid in pred:
        if cid not in a:
            fail(f"{cid} did not run (is it still in the suite?)")
    same_changes("the two runs' verdicts", differing(a, b), pred)


SECTION = re.compile(r"^(\S.*) \((\d+)\):$")
ENTRY = re.compile(r"^  (\S+)  (\S+) -> (\S+)(  \(case file changed\))?$")
ENTRY1 = re.compile(r"^  (\S+)  (\S+)$")
SUMMARY = re.compile(r"^(\d+) newly failing, (\d+) newly erroring, (\d+) newly "
                     r"passing, (\d+) still failing, (\d+) changed, (\d+) only "
                     r"in the first, (\d+) only in the second, (\d+) unchanged$")


def parse_diff(lines):
    """compare's report: {section: {id: (a, b)}}, and the summary counts."""
    sections, cur, summary = {}, None, None
    for line in lines:
        m = SECTION.match(line)
        if m:
            cur = sections.setdefault(m.group(1), {})
            declared = int(m.group(2))
            cur["#"] = declared
            continue
        m = ENTRY.match(line)
        if m and cur is not None:
            cur[m.group(1)] = (m.group(2), m.group(3))
            continue
        m = ENTRY1.match(line)
        if m and cur is not None:
            cur[m.group(1)] = (m.group(2),)
            continue
        m = SUMMARY.match(line)
        if m:
            summary = [int(x) for x in m.groups()]
            cur = None
    if summary is None:
        fail("no summary line in compare's report")
    for name, entries in sections.items():
        if entries.pop("#") != len(entries):
            fail(f"section '{name}' lists {len(entries)} entries, says otherwise")
    return sections, summary


def expected_sections(pred, base_fails):
    """The sections compare must print for A -> B with these changes."""
    want = {}
    for cid, (va, vb) in pred.items():
        if vb == FAILING and va != FAILING:
            cls = "newly failing"
        elif vb == "ERROR" and va != "ERROR":
            cls = "newly erroring"
        elif va == FAILING and vb not in ("FAIL", "ERROR", "SKIP", "NOTRUN"):
            cls = "newly passing"
        else:
            cls = "verdict changed"
        want.setdefault(cls, {})[cid] = (va, vb)
    still = {i: (FAILING, FAILING) for i in base_fails if i not in pred}
    if still:
        want["still failing"] = still
    return want


def check_diff(what, lines, pred, base_fails, ncases, hashed=None):
    got, summary = parse_diff(lines)
    want = expected_sections(pred, base_fails)
    if hashed:
        want["case file changed"] = hashed
    if got != want:
        fail(f"{what}: got sections {sorted(got.items())}, want {sorted(want.items())}")
    names = ["newly failing", "newly erroring", "newly passing", "still failing",
             "verdict changed", "only in the first", "only in the second"]
    counts = [len(want.get(n, {})) for n in names]
    counts.append(ncases - sum(counts))
    if summary != counts:
        fail(f"{what}: summary {summary}, want {counts}")
    print(f"ok: {what}: {', '.join(sorted(want))}; {counts[-1]} unchanged")


def cmd_diff(pred, txt, pa, direction):
    a = verdicts(pa)
    fails = {i for i, v in a.items() if v == FAILING}
    if direction == "reverse":
        pred = {i: (vb, va) for i, (va, vb) in pred.items()}
        fails = {i for i in fails if i not in pred} | \
            {i for i, (va, _) in pred.items() if va == FAILING}
    check_diff(f"compare ({direction})", open(txt).read().splitlines(), pred,
               fails, len(a))


def cmd_gate(pred, log, pbase, want):
    lines = open(log).read().splitlines()
    marks = [k for k, l in enumerate(lines) if l.startswith("against the baseline ")]
    if len(marks) != 1:
        fail(f"{log}: no 'against the baseline' report")
    base = verdicts(pbase)
    fails = {i for i, v in base.items() if v == FAILING}
    if not fails:
        fail("the baseline has no FAIL: the gate's exit 0 would prove nothing")
    if want == "0":
        pred = {}
    check_diff(f"run --baseline (exit {want})", lines[marks[0] + 1:], pred, fails,
               len(base))


def cmd_hash(pred, txt, pa, cid):
    a = verdicts(pa)
    fails = {i for i, v in a.items() if v == FAILING}
    check_diff("compare (a case file changed)", open(txt).read().splitlines(), {},
               fails, len(a), {cid: (a[cid], a[cid])})


def parse_matrix(lines, na, nb):
    """The console matrix: {id: (cell-a, cell-b)}."""
    rows, ia, ib = {}, None, None
    for line in lines:
        cols = line.split()
        if ia is None:
            if cols and cols[0] == "case" and na in cols and nb in cols:
                ia, ib = cols.index(na), cols.index(nb)
            continue
        if not cols:
            break
        rows[cols[0]] = (cols[ia], cols[ib])
    if ia is None:
        fail(f"no matrix with columns {na} and {nb}")
    return rows


def check_matrix(what, rows, pred, ids):
    if set(rows) != ids:
        fail(f"{what}: rows for {len(rows)} ids, want the {len(ids)} of the "
             f"run; not in both: {sorted(set(rows) ^ ids)[:5]}")
    same_changes(what, {i: c for i, c in rows.items() if c[0] != c[1]}, pred)


def cmd_matrix(pred, txt, ref, na, nb):
    rows = parse_matrix(open(txt).read().splitlines(), na, nb)
    check_matrix(f"the matrix in {txt.rsplit('/', 1)[-1]}", rows, pred,
                 set(verdicts(ref)))


def cmd_json_matrix(pred, path, na, nb):
    a, b = verdicts(path, na), verdicts(path, nb)
    if not a or set(a) != set(b):
        fail(f"{path}: the targets hold different cases")
    same_changes("the JSON's case x target matrix", differing(a, b), pred)


class MatrixTable(html.parser.HTMLParser):
    """The cells of <table id="matrix">: header names and one row a case."""

    def __init__(self):
        super().__init__()
        self.depth, self.rows, self.cell = 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == "matrix":
            self.depth = 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None
        elif tag == "table":
            self.depth = 0

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def cmd_html_matrix(pred, path, ref, na, nb):
    p = MatrixTable()
    p.feed(open(path, encoding="utf-8").read())
    if not p.rows:
        fail(f"{path}: no table with id matrix")
    head = p.rows[0]
    if na not in head or nb not in head:
        fail(f"{path}: matrix header {head}, want {na} and {nb}")
    ia, ib = head.index(na), head.index(nb)
    rows = {r[0]: (r[ia], r[ib]) for r in p.rows[1:]}
    check_matrix("the HTML's matrix", rows, pred, set(verdicts(ref)))


def main(argv):
    cmds = {"verdicts": cmd_verdicts, "diff": cmd_diff, "gate": cmd_gate,
            "hash": cmd_hash,
            "matrix": cmd_matrix, "json-matrix": cmd_json_matrix,
            "html-matrix": cmd_html_matrix}
    if len(argv) < 3 or argv[1] not in cmds:
        fail(__doc__)
    cmds[argv[1]](predicted(argv[2]), *argv[3:])


if __name__ == "__main__":
    main(sys.argv)
