#!/usr/bin/env bash
# The authentication suite against a server with HTTP Basic authentication on, whose first admin is
# LOGBOOK_ADMIN_USERNAME / LOGBOOK_ADMIN_PASSWORD (from the environment).
#   test/auth/run.sh <url> [extra pytest args...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
url="${1:?usage: $0 <url> [pytest args...]}"
shift
py="$(bash "$here/../compat/setup.sh")"
export LOGBOOK_URL="$url" PYTHONDONTWRITEBYTECODE=1
cd "$here"
exec "$py" -m pytest -q "$@"
