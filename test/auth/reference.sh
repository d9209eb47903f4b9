#!/usr/bin/env bash
# The authentication suite (all but tests marked logbook_only) against MLflow's own basic-auth server of the
# pinned version, so it keeps encoding MLflow's behaviour; started as test/compat/reference.sh starts MLflow.
#   test/auth/reference.sh [port] [extra pytest args...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
config="$(mktemp -d)"
trap 'rm -rf "$config"' EXIT
export LOGBOOK_ADMIN_USERNAME=reference-admin LOGBOOK_ADMIN_PASSWORD='reference admin password'
cat >"$config/basic_auth.ini" <<INI
[mlflow]
default_permission = READ
database_uri = sqlite:///$config/auth.db
admin_username = $LOGBOOK_ADMIN_USERNAME
admin_password = $LOGBOOK_ADMIN_PASSWORD
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
INI
MLFLOW_AUTH_CONFIG_PATH="$config/basic_auth.ini" MLFLOW_FLASK_SERVER_SECRET_KEY=reference \
  LOGBOOK_REFERENCE_SUITE="$here" MLFLOW_REFERENCE_APP=basic-auth bash "$here/../compat/reference.sh" "$@"
