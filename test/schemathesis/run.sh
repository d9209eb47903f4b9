#!/usr/bin/env bash
# Fuzz a running Logbook against its own OpenAPI document with schemathesis (pinned in requirements.txt,
# installed into .logbook/schemathesis-venv): examples, coverage, fuzzing and stateful phases, the
# stateful one chaining real ids through the document's links. Fails on any 5xx, any answer the
# document does not describe (status, content type, body, headers), any schema-violating request
# accepted, and any schema-valid request refused by a rule the document states (hooks.py).
#
#   test/schemathesis/run.sh <url> [report dir] [more st run options, e.g. --include-path-regex runs/]
#
# Reproducible: fixed seed, derandomized generation (which keeps no example database), no failure cache
# (schemathesis.toml), a fixed number of examples per operation, one worker. Bounded: the /ajax-api/
# copies of each route are left out (the same controllers under the UI's prefix; the document spec
# checks that they are documented). Each failure is printed with the curl command that reproduces it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
url="${1:?usage: $0 <url> [report dir]}"
reports="${2:-$repo/.logbook/schemathesis-report}"
shift $(($# > 1 ? 2 : 1))

py="$(LOGBOOK_VENV="$repo/.logbook/schemathesis-venv" LOGBOOK_REQUIREMENTS="$here/requirements.txt" \
  bash "$repo/test/compat/setup.sh")"

export SCHEMATHESIS_HOOKS=hooks
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
exec "$(dirname "$py")/st" --config-file "$here/schemathesis.toml" run "$url/openapi.json" \
  --url "$url" \
  --phases examples,coverage,fuzzing,stateful \
  --exclude-checks positive_data_acceptance \
  --exclude-path-regex '^/ajax-api/' \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-10}" \
  --seed 20261204 --generation-deterministic \
  --workers 1 --request-timeout 30 \
  --no-color --report junit --report-dir "$reports" "$@"
