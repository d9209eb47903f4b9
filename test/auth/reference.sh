#!/usr/bin/env bash
# The authentication suite (all but tests marked logbook_only) against MLflow's own basic-auth server of the
# pinned version, so it keeps encoding MLflow's behaviour.
#   test/auth/reference.sh [port] [extra pytest args...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${1:-$((5900 + RANDOM % 90))}"
if [[ $# -gt 0 ]]; then shift; fi

py="$(bash "$here/../compat/setup.sh")"
state="$(mktemp -d)"
export LOGBOOK_ADMIN_USERNAME=reference-admin LOGBOOK_ADMIN_PASSWORD='reference admin password'
cat >"$state/basic_auth.ini" <<INI
[mlflow]
default_permission = READ
database_uri = sqlite:///$state/auth.db
admin_username = $LOGBOOK_ADMIN_USERNAME
admin_password = $LOGBOOK_ADMIN_PASSWORD
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
INI
MLFLOW_AUTH_CONFIG_PATH="$state/basic_auth.ini" MLFLOW_DISABLE_TELEMETRY=true MLFLOW_FLASK_SERVER_SECRET_KEY=reference \
  setsid "$(dirname "$py")/mlflow" server --app-name basic-auth --host 127.0.0.1 --port "$port" \
  --backend-store-uri "sqlite:///$state/db.sqlite" --default-artifact-root mlflow-artifacts:/ \
  --artifacts-destination "$state/artifacts" --workers 1 >"$state/server.log" 2>&1 &
server=$!
stop() {
  kill -- "-$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$state"
}
trap stop EXIT

url="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  if curl -sf "$url/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$state/server.log" >&2; exit 1; fi
  sleep 1
done
bash "$here/run.sh" "$url" -m "not logbook_only" "$@"
