#!/usr/bin/env bash
# The distributed shape on this machine: real Postgres and Kafka from infra.sh, then the tracking
# service and the gateway as separate processes. Ctrl-C stops both.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

bash deploy/local/infra.sh up
# shellcheck disable=SC1091
source "${LOGBOOK_INFRA_DIR:-$repo/.logbook/infra}/env"
npm run build --silent

export LOGBOOK_MODE=distributed
tracking_port="${TRACKING_PORT:-5001}"
PORT="$tracking_port" node dist/services/tracking/src/main.js &
tracking=$!
TRACKING_URL="http://127.0.0.1:$tracking_port" PORT="${GATEWAY_PORT:-5000}" node dist/services/gateway/src/main.js &
gateway=$!
trap 'kill $tracking $gateway 2>/dev/null; wait' INT TERM EXIT
wait -n $tracking $gateway
