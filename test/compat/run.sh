#!/usr/bin/env bash
# Run the MLflow-client compatibility suite against a tracking server.
#
#   test/compat/run.sh <url> [extra pytest args...]
#   LOGBOOK_URL=http://127.0.0.1:5000 test/compat/run.sh
#
# Exits with pytest's exit code.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

url="${1:-${LOGBOOK_URL:-}}"
if [[ $# -gt 0 ]]; then shift; fi
if [[ -z "$url" ]]; then
  echo "usage: $0 <tracking-server-url> [pytest args...]   (or set LOGBOOK_URL)" >&2
  exit 2
fi

py="$(bash "$here/setup.sh")"
# The gRPC tests call Logbook with a generic gRPC CLI too, by reflection alone.
GRPCURL="${GRPCURL:-$(bash "$repo/test/support/grpcurl.sh")}"
export GRPCURL

export LOGBOOK_URL="$url"
# A 5xx must fail the test at once instead of being retried for ~4 minutes.
export MLFLOW_HTTP_REQUEST_MAX_RETRIES=0
export MLFLOW_HTTP_REQUEST_TIMEOUT="${MLFLOW_HTTP_REQUEST_TIMEOUT:-30}"
export MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT=1
# Never phone home from the test client.
export MLFLOW_DISABLE_TELEMETRY=true
export DO_NOT_TRACK=true
# Make sure nothing from the caller's environment redirects the client
# (credentials such as MLFLOW_TRACKING_TOKEN are deliberately passed through).
unset MLFLOW_TRACKING_URI MLFLOW_EXPERIMENT_NAME MLFLOW_EXPERIMENT_ID MLFLOW_RUN_ID \
      MLFLOW_ENABLE_ASYNC_LOGGING || true
# Keep the source tree clean.
export PYTHONDONTWRITEBYTECODE=1

cd "$repo"
set +e
"$py" -m pytest -q test/compat "$@"
rc=$?
set -e
exit "$rc"
