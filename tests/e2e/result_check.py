"""Checks facts of a smtpsuite result file (docs/result-format.md) for
the end-to-end tests, reading the JSON with Python's own parser.

Usage: result_check.py FILE EXPR...
Each EXPR is a Python expression over
  d  the whole document
  c  the first case
  t  the "tls" object of that case's first connection ({} if none)
  cases  {id: case} of every case
Exit 0 when every one is true, 1 naming the first that is not (with the
case's verdict and reason)."""
import json
import sys


def main():
    d = json.load(open(sys.argv[1], encoding="utf-8"))
    c = d["cases"][0] if d["cases"] else {}
    conns = c.get("connections", [])
    t = conns[0].get("tls", {}) if conns else {}
    cases = {x["id"]: x for x in d["cases"]}
    for expr in sys.argv[2:]:
        try:
            ok = eval(expr, {}, {"d": d, "c": c, "t": t, "cases": cases})
        except Exception as e:  # a missing key is a failed check
            ok = False
            expr += " (%s: %s)" % (type(e).__name__, e)
        if not ok:
            print("result_check: %s: false: %s\n  verdict %s: %s\n  tls %s" %
                  (sys.argv[1], expr, c.get("verdict"), c.get("reason"),
                   {k: v for k, v in t.items() if k != "chain"}),
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
