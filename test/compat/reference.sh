#!/usr/bin/env bash
# Runs the compatibility suite (all but the tests marked logbook_only) against MLflow's own server of
# the pinned version, from the suite's venv, so the suite keeps encoding MLflow's behaviour.
#
#   test/compat/reference.sh [port] [extra pytest args...]
# Another suite runs the same way through it: LOGBOOK_REFERENCE_SUITE names the suite's folder (its run.sh
# takes the url), MLFLOW_REFERENCE_APP the server's --app-name (test/auth/reference.sh: basic-auth).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
suite="${LOGBOOK_REFERENCE_SUITE:-$here}"
port="${1:-$((5900 + RANDOM % 90))}"
if [[ $# -gt 0 ]]; then shift; fi

py="$(bash "$here/setup.sh")"
state="$(mktemp -d)"
log="$state/server.log"
# shellcheck disable=SC1091
source "$here/../support/webhook-env.sh"
# MLflow allows loopback receivers only with every private address, and caches each event's webhooks for
# 60 s by default, so a webhook created by one test would miss the next test's events: no cache here.
MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true MLFLOW_WEBHOOK_CACHE_TTL=0 MLFLOW_DISABLE_TELEMETRY=true setsid "$(dirname "$py")/mlflow" server \
  ${MLFLOW_REFERENCE_APP:+--app-name "$MLFLOW_REFERENCE_APP"} --host 127.0.0.1 --port "$port" \
  --backend-store-uri "sqlite:///$state/db.sqlite" --default-artifact-root mlflow-artifacts:/ \
  --artifacts-destination "$state/artifacts" --workers 1 >"$log" 2>&1 &
server=$!
stop() {
  # The server runs its workers as children: the whole process group goes.
  kill -- "-$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$state"
}
trap stop EXIT

url="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  curl -fsS "$url/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; echo "MLflow's server did not start" >&2; exit 1; }
  sleep 1
done
curl -fsS "$url/health" >/dev/null || { cat "$log" >&2; echo "MLflow's server did not answer in 120 s" >&2; exit 1; }
bash "$suite/run.sh" "$url" -m "not logbook_only" "$@"
