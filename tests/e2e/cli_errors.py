#!/usr/bin/python3
"""Bad command-line input, as a table: every row must exit 2 with exactly
one line on stderr that names the option (or the file) and says what is
wrong, and nothing on stdout; no crash, no connection attempted.

usage: cli_errors.py SMTPSUITE_BINARY SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
SMOKE = os.path.join(SRC, "cases/suites/smoke.suite")
TARGET = os.path.join(SRC, "cases/targets/sink.target")
tmp = tempfile.mkdtemp()
unreadable = os.path.join(tmp, "secret.txt")  # does not exist (root reads mode 0)
LOAD = os.path.join(SRC, "cases/load/helo-messages.smtp")
NOT_RESULT = os.path.join(tmp, "not-a-result.json")
with open(NOT_RESULT, "w") as f:
    f.write("{}\n")

MBOX = os.path.join(tmp, "one.mbox")
with open(MBOX, "w") as f:
    f.write("From a@b.test Sun Nov  1 00:00:00 2026\nSubject: x\n\nbody\n")
LOADCMD = ["load", "-t", "127.0.0.1:25", "-n", "1", "-c", "1", "--cases-dir",
        os.path.join(SRC, "cases")]

# (arguments, text the single error line must contain[, environment added])
ROWS = [
    (["frobnicate"], "unknown verb 'frobnicate'"),
    (["run", "--bogus", SMOKE], "unknown option '--bogus'"),
    (["run", "-Z", SMOKE], "unknown option '-Z'"),
    (["run", SMOKE], "no target"),
    (["run", "--target", "127.0.0.1:25"], "no PATH given"),
    (["run", "--target", "127.0.0.1", SMOKE], "--target: '127.0.0.1': want HOST:PORT"),
    (["run", "--target", "127.0.0.1:99999", SMOKE], "is not a port"),
    (["run", "--target", "127.0.0.1:0", SMOKE], "is not a port"),
    (["run", "--target", "[::1:25", SMOKE], "want [IPV6]:PORT"),
    (["run", "--target", "unix:", SMOKE], "needs a socket path"),
    (["run", "--target", "exec:", SMOKE], "needs a command"),
    (["run", "-t", "127.0.0.1:25", "--jobs", "0", SMOKE], "--jobs: '0' is not a whole number"),
    (["run", "-t", "127.0.0.1:25", "--jobs", "many", SMOKE], "--jobs: 'many'"),
    (["run", "-t", "127.0.0.1:25", "--connect-delay", "5", SMOKE], "--connect-delay: '5' has no unit"),
    (["run", "-t", "127.0.0.1:25", "--retry-wait", "1y", SMOKE], "unknown unit 'y'"),
    (["run", "-t", "127.0.0.1:25", "--grace", "-1s", SMOKE], "--grace: '-1s' is not a duration"),
    (["run", "-t", "127.0.0.1:25", "--timeouts", "fast", SMOKE], "--timeouts: 'fast' is not a timeout profile"),
    (["run", "-t", "127.0.0.1:25", "--fail-on", "warn,oops", SMOKE], "unknown verdict 'oops'"),
    (["run", "-t", "127.0.0.1:25", "--tls", "sometimes", SMOKE], "--tls: 'sometimes'"),
    (["run", "-t", "127.0.0.1:25", "--tls-min", "TLSv9", SMOKE], "tls-min: 'TLSv9'"),
    (["run", "-t", "127.0.0.1:25", "--tls-ca-file", os.path.join(tmp, "nope.pem"), SMOKE], "nope.pem"),
    (["run", "-t", "127.0.0.1:25", "--var", "novalue", SMOKE], "--var"),
    (["run", "-t", "127.0.0.1:25", "--protocol", "esmtp", SMOKE], "--protocol: 'esmtp' is not smtp or lmtp"),
    (["run", "-t", "127.0.0.1:25", "--proxy", "v3", SMOKE], "--proxy: 'v3' is not v1, v2 or none"),
    (["run", "-t", "127.0.0.1:25", "--proxy", "v1", "--proxy-source", "192.0.2.1", SMOKE], "--proxy-source: '192.0.2.1' is not ADDR:PORT"),
    (["run", "-t", "127.0.0.1:25", "--proxy-dest", "mx.example:25", SMOKE], "--proxy-dest: 'mx.example' is not a numeric"),
    (["run", "-t", "127.0.0.1:25", "--proxy-source", "192.0.2.1:70000", SMOKE], "--proxy-source: '70000' is not a port"),
    (["run", "-t", "127.0.0.1:25", "--xclient", "ADDR", SMOKE], "--xclient: 'ADDR' is not NAME=VALUE"),
    (["run", "-t", "127.0.0.1:25", "--xforward", "NAME=a\rb", SMOKE], "--xforward: the value of NAME holds the octet 0x0d"),
    (["run", "-t", "127.0.0.1:25", "--xclient-tls", "during", SMOKE], "--xclient-tls: 'during' is not before or after"),
    (["load", "-t", "127.0.0.1:25", "-c", "1", "-n", "1", "--source-addrs", "127.0.0.9-2", SMOKE], "--source-addrs: '127.0.0.9-2' is not a range"),
    (["load", "-t", "127.0.0.1:25", "-c", "1", "-n", "1", "--source-addrs", "127.0.0.256", SMOKE], "--source-addrs: bad source address '127.0.0.256'"),
    (["run", "-t", "127.0.0.1:25", "--secret", "pass=plaintext", SMOKE], "--secret"),
    (["run", "-t", "127.0.0.1:25", "--secret", "pass=env:SMTPSUITE_NO_SUCH_VAR", SMOKE], "SMTPSUITE_NO_SUCH_VAR"),
    (["run", "-t", "127.0.0.1:25", "--secret", "pass=file:" + unreadable, SMOKE], "secret.txt"),
    (["run", "-t", "127.0.0.1:25", os.path.join(tmp, "missing.smtp")], "missing.smtp"),
    (["run", "-t", "127.0.0.1:25", "--id", "no.such.case", SMOKE], "no case selected"),
    (["run", "--target-file", os.path.join(tmp, "missing.target"), SMOKE], "missing.target"),
    (["run", "-t", "127.0.0.1:25", "--baseline", os.path.join(tmp, "missing.json"), SMOKE], "--baseline"),
    (["run", "-T", TARGET, "-T", TARGET, SMOKE], "two targets are named 'sink'"),
    (["check", "--bogus"], "unknown option '--bogus'"),
    (["compare", os.path.join(tmp, "a.json")], "a.json"),
    (["compare"], "give two result files"),
    (["sink", "--listen", "nowhere"], "--listen"),
    (["sink", "--profile", "nonesuch"], "nonesuch"),
    (["sink", "--fault", "NOOP -> explode"], "explode"),
    (["sink", "--size-limit", "lots"], "--size-limit"),
    # shards (docs/distributed.md)
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--shard", "4/4", LOAD], "--shard: '4/4': shard 4 does not exist"),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--shard", "x", LOAD], "--shard: 'x' is not I/N"),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--shard", "1/0", LOAD], "--shard: '1/0'"),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--shard", "auto/4", LOAD], "--shard auto/4: no launcher"),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--shard", "1/4", LOAD], "give --json"),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--shard", "1/4", "--json", "r.json", LOAD], "--json r.json: shard 1 of 4 needs {shard}"),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--start-at", "tomorrow", LOAD], "--start-at: 'tomorrow'"),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--start-at", "2099-01-01T00:00:00Z", LOAD], "--start-at 2099-01-01T00:00:00Z is more than 24 h away"),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--run-id", "a b", LOAD], "--run-id: 'a b'"),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--json", "r-{shard}.json", LOAD], "Open MPI says shard 1 of 4 but Slurm says shard 2 of 4",
     {"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "4", "SLURM_PROCID": "2", "SLURM_NTASKS": "4"}),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--shard", "auto/3", "--json", "r-{shard}.json", LOAD], "--shard auto/3 but Slurm says 4 shards",
     {"SLURM_PROCID": "2", "SLURM_NTASKS": "4"}),
    (["load", "-t", "127.0.0.1:25", "--rate", "10", "-n", "10", "--json", "r-{shard}.json", LOAD], "JOB_COMPLETION_INDEX=1 is set but not the number of shards",
     {"JOB_COMPLETION_INDEX": "1"}),
    (["merge"], "give the shards' result files"),
    (["merge", os.path.join(tmp, "missing.json")], "missing.json: cannot read"),
    (["merge", NOT_RESULT], "not a smtpsuite result file"),
    # delivery checks (docs/delivery.md)
    (["run", "-t", "127.0.0.1:25", "--deliver-to", "nowhere", SMOKE], "--deliver-to: 'nowhere': want ADDR:PORT"),
    (["run", "-t", "127.0.0.1:25", "--deliver-late", "10", SMOKE], "--deliver-late: '10' has no unit"),
    (["run", "-t", "127.0.0.1:25", "--deliver-fault", "bogus", SMOKE], "--deliver-record and --deliver-fault need --deliver-to"),
    (["run", "-t", "127.0.0.1:25", "--deliver-to", "127.0.0.1:0", "--deliver-fault", "EOD -> frob", SMOKE], "--deliver-fault: fault 'EOD -> frob'"),
    (LOADCMD + ["--deliver-to", "nowhere"], "--deliver-to: 'nowhere': want ADDR:PORT"),
    (LOADCMD + ["--deliver-to", "127.0.0.1:99999"], "--deliver-to: '127.0.0.1:99999'"),
    (LOADCMD + ["--deliver-drain", "5"], "--deliver-drain: '5' has no unit"),
    (LOADCMD + ["--deliver-late", "-1s"], "--deliver-late: '-1s' is not a duration"),
    (LOADCMD + ["--deliver-settle", "soon"], "--deliver-settle: 'soon'"),
    (LOADCMD + ["--deliver-record", os.path.join(tmp, "a.jsonl")], "--deliver-record and --deliver-fault need --deliver-to"),
    (LOADCMD + ["--deliver-to", "127.0.0.1:0", "--deliver-fault", "bogus"], "--deliver-fault: fault 'bogus'"),
    (LOADCMD + ["--deliver-to", "127.0.0.1:0", "--corpus", MBOX], "--deliver-to: --corpus messages carry no delivery token"),
    (LOADCMD + ["--threshold", "late < 1"], "late is measured only with --deliver-to"),
    # the submission log (docs/delivery.md "Across machines")
    (LOADCMD + ["--deliver-log", os.path.join(tmp, "d.jsonl"), "--corpus", MBOX], "--deliver-log: --corpus messages carry no delivery token"),
    (LOADCMD + ["--deliver-log", os.path.join(tmp, "d.jsonl"), "--threshold", "corrupt == 0"], "give it to smtpsuite merge --deliver-log"),
    (LOADCMD + ["--deliver-log", os.path.join(tmp, "no", "d.jsonl")], "--deliver-log: cannot write"),
    (LOADCMD + ["-c", "2", "--shard", "0/2", "--json", os.path.join(tmp, "r-{shard}.json"), "--deliver-log", os.path.join(tmp, "d.jsonl")], "--deliver-log " + os.path.join(tmp, "d.jsonl") + ": shard 0 of 2 needs {shard}"),
    (["run", "-t", "127.0.0.1:25", "--deliver-log", os.path.join(tmp, "no", "d.jsonl"), SMOKE], "--deliver-log: cannot write"),
    (["merge", NOT_RESULT, "--deliver-log", os.path.join(tmp, "d.jsonl")], "--deliver-log and --arrivals go together"),
]

failed = 0
LAUNCHER_VARS = ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "SLURM_PROCID",
                 "SLURM_NTASKS", "JOB_COMPLETION_INDEX", "SMTPSUITE_SHARDS")
for args, want, *extra in ROWS:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("SMTPSUITE_NO_SUCH_VAR", None)
    for name in LAUNCHER_VARS:  # a shard only when a row says so
        env.pop(name, None)
    env.update(extra[0] if extra else {})
    p = subprocess.run([BIN] + args, capture_output=True, text=True, env=env,
                       timeout=30, cwd=tmp)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    problems = []
    if p.returncode != 2:
        problems.append(f"exit {p.returncode}, want 2")
    if len(lines) != 1:
        problems.append(f"{len(lines)} stderr lines, want 1")
    if want not in p.stderr:
        problems.append(f"stderr lacks {want!r}")
    if p.stdout.strip():
        problems.append("printed on stdout")
    if problems:
        failed += 1
        print(f"FAIL {' '.join(args)}: {'; '.join(problems)}\n   stderr: {p.stderr.strip()!r}")
    else:
        print(f"ok   {' '.join(args)[:70]}: {lines[0][:90]}")
print(f"{len(ROWS) - failed} of {len(ROWS)} rows as wanted")
sys.exit(1 if failed else 0)
