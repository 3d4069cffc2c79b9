#!/bin/bash
# End-to-end: the files of deploy/ run on loopback, without a cluster
# (docs/distributed.md).
# - deploy/slurm/smtpsuite-load.sbatch runs as a batch script, with a
#   stand-in for srun that starts the command once a task with
#   SLURM_PROCID set, as srun does: the shards take their share from the
#   Slurm variables, the merge exits 0 with every shard merged.
# - deploy/kubernetes/run.sh --print renders the manifests; the Indexed
#   Job's container command runs once a pod index with
#   JOB_COMPLETION_INDEX set, as Kubernetes does, then the merge Job's
#   command: exit 0, every shard merged, the Kubernetes launcher named.
# Usage: tests/e2e/shard_deploy.sh PATH/TO/smtpsuite
set -u
. "$(dirname "$0")/../servers/lib.sh"
srv_init "${1:?usage: shard_deploy.sh SMTPSUITE}"
cd "$(dirname "$0")/../.." || exit 1
srv_dir deploy
D=$SRV_NEWDIR
SHARDS=3 RATE=60

expect() {
  [ "$2" = "$3" ] || srv_fail "$1: got '$2', want '$3'"
  echo "ok   $1: $2"
}

json() {
  $SRV_PY - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = {x["name"]: x["value"] for x in r.get("counters", [])}
p = {x["name"]: x["value"] for x in r.get("properties", [])}
print(eval(sys.argv[2]))
PY
}

srv_sink

echo "== Slurm: the batch script, srun standing in"
mkdir -p "$D/bin"
cat >"$D/bin/srun" <<'EOF'
#!/bin/bash
# srun's part in a batch step: the command once a task, SLURM_PROCID set.
while [[ $1 == --* ]]; do shift; done
pids=()
for ((i = 0; i < SLURM_NTASKS; i++)); do
  SLURM_PROCID=$i "$@" &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
exit $rc
EOF
chmod +x "$D/bin/srun"
PATH="$D/bin:$PATH" SLURM_JOB_ID=4242 SLURM_NTASKS=$SHARDS \
  TARGET="127.0.0.1:$SINK_PORT" RATE=$RATE DURATION=2s LEAD=2 \
  SMTPSUITE="$SMTPSUITE" OUT="$D/slurm" \
  bash deploy/slurm/smtpsuite-load.sbatch >"$D/slurm.out" 2>&1
rc=$?
[ "$rc" = 0 ] || { cat "$D/slurm.out"; srv_fail "the batch script exit $rc, want 0"; }
echo "ok   batch script exit: 0"
for i in 0 1 2; do
  expect "slurm shard $i" "$(json "$D/slurm/r-$i.json" '(p["shard.launcher"], r["shard"], r["run_id"])')" \
    "('Slurm', '$i/$SHARDS', 'slurm-4242')"
done
expect "slurm merge: kind, sessions, thresholds judged" \
  "$(json "$D/slurm/load.json" '(r["kind"], c["sessions.ended"], c["sessions.ok"], p["threshold.0.status"], p["threshold.1.status"])')" \
  "('merge', $((2 * RATE)), $((2 * RATE)), 'pass', 'pass')"
if [ ! -s "$D/slurm/load.html" ] || [ ! -s "$D/slurm/load.xml" ]; then
  srv_fail "the batch script wrote no HTML or JUnit report"
fi

echo "== Kubernetes: the Indexed Job's commands, one a pod index"
IMAGE=smtpsuite:test TARGET="127.0.0.1:$SINK_PORT" SHARDS=$SHARDS RATE=$RATE \
  DURATION=2s LEAD=3 RUN_ID=k8s-test bash deploy/kubernetes/run.sh --print >"$D/k8s.yaml" ||
  srv_fail "run.sh --print failed"
# The commands of the two Jobs, one argument a line, /results moved here.
$SRV_PY - "$D/k8s.yaml" "$D/k8s" <<'PY' || srv_fail "the manifests are not what run.sh applies"
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
jobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Job"}
shard, merge = jobs["smtpsuite-load-k8s-test"], jobs["smtpsuite-merge-k8s-test"]
s = shard["spec"]
assert (s["completionMode"], s["completions"], s["parallelism"], s["backoffLimit"]) == \
    ("Indexed", 3, 3, 0), s
assert s["template"]["spec"]["restartPolicy"] == "Never"
left = [l for l in open(sys.argv[1]) if "${" in l and not l.lstrip().startswith("#")]
assert not left, f"fields left unfilled: {left}"
for name, job in (("shard", shard), ("merge", merge)):
    cmd = job["spec"]["template"]["spec"]["containers"][0]["command"]
    with open(f"{sys.argv[2]}.{name}", "w") as f:
        f.write("\n".join(a.replace("/results/", sys.argv[2] + "/") for a in cmd) + "\n")
PY
mkdir -p "$D/k8s"
mapfile -t shard_cmd <"$D/k8s.shard"
mapfile -t merge_cmd <"$D/k8s.merge"
[ "${shard_cmd[0]}" = smtpsuite ] || srv_fail "the shard command is not smtpsuite: ${shard_cmd[0]}"
pids=()
for ((i = 0; i < SHARDS; i++)); do
  JOB_COMPLETION_INDEX=$i PATH="$(dirname "$SMTPSUITE"):$PATH" "${shard_cmd[@]}" \
    >"$D/k8s-$i.out" 2>&1 &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { cat "$D/k8s-$i.out"; srv_fail "pod $i exit $?, want 0"; }
done
echo "ok   $SHARDS pods exit 0"
for ((i = 0; i < SHARDS; i++)); do
  expect "pod $i" "$(json "$D/k8s/k8s-test-r-$i.json" '(p["shard.launcher"], r["shard"], r["run_id"])')" \
    "('Kubernetes', '$i/$SHARDS', 'k8s-test')"
done
PATH="$(dirname "$SMTPSUITE"):$PATH" "${merge_cmd[@]}" >"$D/k8s-merge.out" 2>&1
rc=$?
[ "$rc" = 0 ] || { cat "$D/k8s-merge.out"; srv_fail "the merge Job's command exit $rc, want 0"; }
expect "k8s merge: kind, sessions, thresholds judged" \
  "$(json "$D/k8s/k8s-test-load.json" '(r["kind"], c["sessions.ended"], p["threshold.0.status"], p["threshold.1.status"])')" \
  "('merge', $((2 * RATE)), 'pass', 'pass')"
srv_stop_sink
echo "PASS"
