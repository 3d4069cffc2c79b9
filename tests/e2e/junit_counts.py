#!/usr/bin/python3
"""Reads a JUnit file with junitparser (Debian's python3-junitparser, an
independent parser) and checks it against the JSON result it came from:
the counts of the JSON summary mapped by DESIGN.md's table, per testcase
and in the testsuites/testsuite attributes, unique classname+name, no
empty classname, and the case ids.

usage: junit_counts.py JUNIT.xml RESULT.json [--strict] [--ids]
"""
import json
import sys
import xml.etree.ElementTree as ET

from junitparser import Error, Failure, JUnitXml, Skipped


def expected(result, strict):
    s = result["summary"]
    want = {
        "tests": sum(s.values()),
        "failures": s["FAIL"] + (s["WARN"] + s["XPASS"] if strict else 0),
        "errors": s["ERROR"],
        "skipped": s["SKIP"] + s["XFAIL"] + s["NOTRUN"],
    }
    if result.get("kind") in ("load", "merge"):
        props = {p["name"]: p.get("value") for p in result["properties"]}
        for name, value in props.items():
            if name.startswith("threshold.") and name.endswith(".expr"):
                status = props.get(name[: -len("expr")] + "status")
                want["tests"] += 1
                if status == "breach":
                    want["failures"] += 1
                elif status != "pass":
                    want["errors"] += 1
    return want


def counted(xml):
    got = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    keys = []
    for suite in xml:
        for case in suite:
            got["tests"] += 1
            keys.append((case.classname, case.name))
            for r in case.result:
                if isinstance(r, Failure):
                    got["failures"] += 1
                elif isinstance(r, Error):
                    got["errors"] += 1
                elif isinstance(r, Skipped):
                    got["skipped"] += 1
    return got, keys


def main():
    path, jpath = sys.argv[1], sys.argv[2]
    strict = "--strict" in sys.argv[3:]
    with open(jpath, encoding="utf-8") as f:
        result = json.load(f)
    want = expected(result, strict)
    xml = JUnitXml.fromfile(path)
    got, keys = counted(xml)
    bad = []
    if got != want:
        bad.append(f"testcase results: got {got} want {want}")
    attrs = {k: getattr(xml, k) for k in want}
    if attrs != want:
        bad.append(f"testsuites attributes: got {attrs} want {want}")
    for suite in xml:
        sums = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        c, _ = counted([suite])
        sattrs = {k: getattr(suite, k) for k in sums}
        if sattrs != c:
            bad.append(f"testsuite {suite.name}: got {sattrs} want {c}")
    if len(set(keys)) != len(keys):
        bad.append("classname+name is not unique")
    if any(not cn for cn, _ in keys):
        bad.append("an empty classname")
    if "--ids" in sys.argv[3:]:
        ids = sorted(c["id"] for c in result["cases"])
        names = sorted(n for cn, n in keys if cn != "thresholds")
        if ids != names:
            bad.append(f"case ids differ: got {names[:5]}... want {ids[:5]}...")
    # Verdict properties, read with another parser (expat via ElementTree).
    verdicts = [p.get("value") for p in ET.parse(path).getroot().iter("property")
                if p.get("name") == "smtpsuite.verdict"]
    nonpass = sum(v for k, v in result["summary"].items() if k != "PASS")
    if len(verdicts) != nonpass:
        bad.append(f"smtpsuite.verdict properties: got {len(verdicts)} want {nonpass}")
    for b in bad:
        print(f"{path}: {b}", file=sys.stderr)
    if not bad:
        print(f"{path}: {got['tests']} tests, {got['failures']} failures, "
              f"{got['errors']} errors, {got['skipped']} skipped: as the JSON says")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
