#!/usr/bin/env bash
# Runs the browser suite (mlflow-ui.browser.ts, compiled by `npm run build:test`) against a running server
# that serves MLflow's web UI: a Logbook shape started with a UI build, or MLflow's own server.
#   test/ui/run.sh <base url> [output dir]
# Needs Chromium (Debian's `chromium` package, or LOGBOOK_CHROMIUM) and fails without it;
# LOGBOOK_SKIP_UI_TESTS=1 skips the suite on a machine that cannot have a browser, and says so.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
url=${1:?usage: test/ui/run.sh <base url> [output dir]}
if [ "${LOGBOOK_SKIP_UI_TESTS:-}" = 1 ]; then
  echo "== browser suite SKIPPED (LOGBOOK_SKIP_UI_TESTS=1): MLflow's web UI was not tested" >&2
  exit 0
fi
LOGBOOK_UI_URL="$url" LOGBOOK_UI_OUTPUT="${2:-$repo/.logbook/ui-test}" \
  node --test --test-concurrency=1 --test-reporter=spec "$repo/dist/test/ui/mlflow-ui.browser.js"
