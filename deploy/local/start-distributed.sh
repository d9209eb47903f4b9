#!/usr/bin/env bash
# The distributed shape on this machine: real Postgres, Kafka and S3Proxy from infra.sh, then the
# tracking, artifacts and registry services and the gateway as separate processes. Ctrl-C stops them.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

if [ -z "${LOGBOOK_AUTH:-}" ]; then
  echo "Set LOGBOOK_AUTH: basic to require credentials (LOGBOOK_ADMIN_USERNAME/PASSWORD name the first admin)," >&2
  echo "or off to serve anyone who can reach the port. The distributed shape does not choose for you." >&2
  exit 2
fi
# The secret the gateway signs each request's principal with and the services verify: one per start here.
if [ "$LOGBOOK_AUTH" != off ] && [ -z "${LOGBOOK_GATEWAY_KEY:-}" ]; then
  LOGBOOK_GATEWAY_KEY="$(node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('hex'))")"
  export LOGBOOK_GATEWAY_KEY
fi

bash deploy/local/infra.sh up
# shellcheck disable=SC1091
source "${LOGBOOK_INFRA_DIR:-$repo/.logbook/infra}/env"
npm run build --silent

export LOGBOOK_MODE=distributed
# A larger young generation: streaming artifacts allocates a buffer per socket read (README, "V8 flags").
export NODE_OPTIONS="${NODE_OPTIONS:---max-semi-space-size=64}"
# One scheme, as in the test launcher: the gateway on PORT, the services behind it on the next three ports.
gateway_port="${PORT:-5000}"
tracking_port=$((gateway_port + 1))
artifacts_port=$((gateway_port + 2))
registry_port=$((gateway_port + 3))
# With auth on, the services read their callers' permissions from the identity service in the gateway.
export LOGBOOK_GATEWAY_URL="http://127.0.0.1:$gateway_port"
PORT="$tracking_port" node dist/services/tracking/src/main.js &
tracking=$!
PORT="$artifacts_port" node dist/services/artifacts/src/main.js &
artifacts=$!
PORT="$registry_port" node dist/services/registry/src/main.js &
registry=$!
TRACKING_URL="http://127.0.0.1:$tracking_port" ARTIFACTS_URL="http://127.0.0.1:$artifacts_port" \
  REGISTRY_URL="http://127.0.0.1:$registry_port" PORT="$gateway_port" node dist/services/gateway/src/main.js &
gateway=$!
trap 'kill $tracking $artifacts $registry $gateway 2>/dev/null; wait' INT TERM EXIT
wait -n $tracking $artifacts $registry $gateway
