# shellcheck shell=bash
# Sourced where the test suites start a server: webhooks may call the receivers the tests run on 127.0.0.1
# over plain http, and secrets are stored under one fixed Fernet key (a test key, never a real one).
# A value already in the environment wins.
export MLFLOW_WEBHOOK_ALLOWED_SCHEMES="${MLFLOW_WEBHOOK_ALLOWED_SCHEMES:-http,https}"
export MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY="${MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY:-oXYijzFJV6TyrtpGLyacNMiCDVXaRVwlONjX9y2wUnQ=}"
# Logbook: loopback only, not every private address (MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS stays off), so the
# suites can still see other private networks refused. MLflow ignores it.
export LOGBOOK_WEBHOOK_ALLOWED_NETWORKS="${LOGBOOK_WEBHOOK_ALLOWED_NETWORKS:-127.0.0.0/8}"
