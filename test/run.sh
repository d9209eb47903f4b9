#!/usr/bin/env bash
# `npm test`: starts the real infrastructure (Postgres, Kafka, S3Proxy), then runs
#   1. the TypeScript suites (deciders, event store, messaging, HTTP API) against it, then the Helm chart's
#      static checks (deploy/helm/validate.sh: helm lint, kubeconform), and
#   2. the official MLflow Python client suite against BOTH runtime shapes, and
#   3. schemathesis against each shape's OpenAPI document (test/schemathesis/run.sh), and
#   4. the authentication suite (test/auth) and schemathesis over the users, roles and tokens routes
#      against each shape started with LOGBOOK_AUTH=basic,token, and
#   5. the client and authentication suites against MLflow's own servers, so they keep encoding MLflow's behaviour.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export KAFKAJS_NO_PARTITIONER_WARNING=1

bash deploy/local/infra.sh up
# shellcheck disable=SC1091
source "${LOGBOOK_INFRA_DIR:-$repo/.logbook/infra}/env"
export DATABASE_URL KAFKA_BROKERS S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION S3_BUCKET

# Each spec file runs in a child process that exits by itself once its tests are done and its report is
# written: --test-force-exit could end a child before the runner had read its whole report (tests went
# missing from a CI run's output and total). A file that leaves its event loop busy fails on the timeout.
npm run test:unit --silent
echo "== the Helm chart: helm lint --strict and helm template | kubeconform -strict (Kubernetes 1.30 and 1.37)"
bash deploy/helm/validate.sh

bash test/compat/setup.sh >/dev/null
# The gateway finds MLflow's web UI build in the compat venv's mlflow package (the full package).
export LOGBOOK_UI_PYTHON="$repo/.logbook/venv/bin/python"
# The first admin of the shapes started with authentication on, and the credentials test/auth signs in with.
export LOGBOOK_ADMIN_USERNAME=test-admin LOGBOOK_ADMIN_PASSWORD="test admin password"
LOGBOOK_VENV="$repo/.logbook/schemathesis-venv" LOGBOOK_REQUIREMENTS=test/schemathesis/requirements.txt \
  bash test/compat/setup.sh >/dev/null
run_dir="$repo/.logbook/test-run"
rm -rf "$run_dir"
status=0
for shape in embedded distributed; do
  port=$((5600 + RANDOM % 300))
  url=$(bash test/support/shapes.sh start "$shape" "$port" "$run_dir/$shape")
  # Before the compat suite, whose models would push the test's own off the UI's first page.
  echo "== MLflow's web UI in Chromium against the $shape shape ($url)"
  bash test/ui/run.sh "$url" "$run_dir/$shape/ui" || status=$?
  echo "== MLflow client compatibility suite against the $shape shape ($url)"
  bash test/compat/run.sh "$url" || status=$?
  if [ "$status" -eq 0 ]; then
    echo "== schemathesis against the $shape shape ($url)"
    bash test/schemathesis/run.sh "$url" "$run_dir/$shape/schemathesis" || status=$?
  fi
  bash test/support/shapes.sh stop "$run_dir/$shape"
  [ "$status" -eq 0 ] || { echo "compatibility suite or schemathesis failed against the $shape shape" >&2; exit "$status"; }

  port=$((5600 + RANDOM % 300))
  url=$(LOGBOOK_AUTH=basic,token LOGBOOK_GATEWAY_KEY="$(node -p "require('node:crypto').randomBytes(32).toString('hex')")" \
    bash test/support/shapes.sh start "$shape" "$port" "$run_dir/$shape-auth")
  echo "== authentication suite against the $shape shape with LOGBOOK_AUTH=basic,token ($url)"
  # Distributed: the tracking service's own port, which must refuse what did not come through the gateway.
  LOGBOOK_SERVICE_URL="$([ "$shape" = distributed ] && echo "http://127.0.0.1:$((port + 1))")" \
    bash test/auth/run.sh "$url" || status=$?
  if [ "$status" -eq 0 ]; then
    echo "== schemathesis against the $shape shape's users, roles and tokens, signed in as its admin ($url)"
    admin_credentials="$(printf '%s:%s' "$LOGBOOK_ADMIN_USERNAME" "$LOGBOOK_ADMIN_PASSWORD" | base64 -w0)"
    bash test/schemathesis/run.sh "$url" "$run_dir/$shape-auth/schemathesis" \
      --include-path-regex '/(users|roles|tokens)/' -H "Authorization: Basic $admin_credentials" || status=$?
  fi
  bash test/support/shapes.sh stop "$run_dir/$shape-auth"
  [ "$status" -eq 0 ] || { echo "authentication suite failed against the $shape shape" >&2; exit "$status"; }
done

echo "== the same suite against MLflow's own server (tests marked logbook_only left out)"
bash test/compat/reference.sh
echo "== the authentication suite against MLflow's own basic-auth server (tests marked logbook_only left out)"
bash test/auth/reference.sh
