#!/bin/bash
# Runs a distributed smtpsuite load as a Kubernetes Indexed Job, then
# merges it (docs/distributed.md): computes one start time and one run
# id, fills them into smtpsuite-load.yaml, applies it, waits until every
# shard is over, applies smtpsuite-merge.yaml, prints the merge's
# summary and exits with its code (0 pass, 3 a shard missing or failed,
# 99 a threshold breached).
#
#   IMAGE=registry.example.org/smtpsuite:0.1.0 TARGET=mx.staging.example:25 \
#       SHARDS=8 RATE=4000 DURATION=5m deploy/kubernetes/run.sh
#
# run.sh --print writes the manifests it would apply and exits (no
# cluster needed). kubectl's current context and namespace are used.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

export IMAGE=${IMAGE:?set IMAGE to an image with smtpsuite on its PATH}
export TARGET=${TARGET:?set TARGET=HOST:PORT of the staging server}
export SHARDS=${SHARDS:-4}
export RATE=${RATE:-1000}       # sessions a second, the whole run's
export DURATION=${DURATION:-5m}
export THREADS=${THREADS:-1}    # worker threads (and CPUs requested) a shard
export SENDER=${SENDER:-'load{n}@client.test'} # MAIL FROM ({n}: the message's number)
export RCPT=${RCPT:-'load{n}@sink.test'}       # RCPT TO: addresses the staging server accepts
LEAD=${LEAD:-120}               # seconds for every pod to be scheduled and pull the image
# One start time and one run id, computed once, here, for every shard.
export START_AT=${START_AT:-$(date -u -d "+$LEAD seconds" +%Y-%m-%dT%H:%M:%SZ)}
export RUN_ID=${RUN_ID:-k8s-$(date -u +%Y%m%d%H%M%S)}
TIMEOUT=${TIMEOUT:-7200}        # seconds to wait for the shards

# The manifest with our ${NAME} fields filled in (values with '|', '&'
# or '\' in them are not expected: host names, numbers, durations).
render() {
  local args=() v
  for v in IMAGE TARGET SHARDS RATE DURATION THREADS SENDER RCPT START_AT RUN_ID; do
    args+=(-e "s|[$]{$v}|${!v}|g")
  done
  sed "${args[@]}" "$here/$1"
}

if [ "${1:-}" = --print ]; then
  render smtpsuite-load.yaml
  echo ---
  render smtpsuite-merge.yaml
  exit 0
fi

# The job's condition: Complete, Failed, or nothing yet.
state() {
  kubectl get "job/$1" -o jsonpath='{.status.conditions[?(@.status=="True")].type}'
}

wait_job() {
  local s waited=0
  while :; do
    s=$(state "$1")
    case $s in *Complete* | *Failed*) echo "$s"; return 0 ;; esac
    [ "$waited" -lt "$TIMEOUT" ] || { echo timeout; return 0; }
    sleep 10
    waited=$((waited + 10))
  done
}

echo "smtpsuite: run $RUN_ID, $SHARDS shards, $RATE sessions/s for $DURATION, start $START_AT"
render smtpsuite-load.yaml | kubectl apply -f -
echo "shards: $(wait_job "smtpsuite-load-$RUN_ID")"
# Merge even when a shard failed: the merge names it (exit 3).
render smtpsuite-merge.yaml | kubectl apply -f -
merged=$(wait_job "smtpsuite-merge-$RUN_ID")
kubectl logs "job/smtpsuite-merge-$RUN_ID" || true
rc=$(kubectl get pods -l "job-name=smtpsuite-merge-$RUN_ID" \
  -o jsonpath='{.items[0].status.containerStatuses[0].state.terminated.exitCode}')
echo "smtpsuite merge: $merged, exit ${rc:-?}; reports on the results volume as $RUN_ID-load.*"
exit "${rc:-3}"
