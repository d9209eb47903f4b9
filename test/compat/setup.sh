#!/usr/bin/env bash
# Idempotently create the Python virtualenv used by the MLflow compatibility
# suite and install test/compat/requirements.txt into it.
#
#   LOGBOOK_VENV   venv location (default: <repo>/.logbook/venv)
#   LOGBOOK_REQUIREMENTS  pinned requirements to install (default: test/compat/requirements.txt)
#   LOGBOOK_PYTHON interpreter used to create the venv (default: python3; needs >= 3.10)
#
# The install is skipped when the stamp file inside the venv matches the hash of
# requirements.txt plus the interpreter version. All progress output goes to
# stderr; the only line on stdout is the venv's python path, so callers can do
#   PY="$(bash test/compat/setup.sh)"
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${LOGBOOK_VENV:-$repo/.logbook/venv}"
base_python="${LOGBOOK_PYTHON:-python3}"
req="${LOGBOOK_REQUIREMENTS:-$here/requirements.txt}"
stamp="$venv/.logbook-compat-requirements.sha256"

log() { echo "[compat/setup] $*" >&2; }

if ! command -v "$base_python" >/dev/null 2>&1; then
  log "error: '$base_python' not found (set LOGBOOK_PYTHON to a Python >= 3.10)"
  exit 1
fi
if ! "$base_python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  log "error: $("$base_python" --version 2>&1) is too old; mlflow 3 needs Python >= 3.10"
  exit 1
fi

py="$venv/bin/python"

# (Re)create the venv if it is missing or broken (e.g. its base interpreter vanished).
if [[ ! -x "$py" ]] || ! "$py" -c 'import sys' >/dev/null 2>&1; then
  log "creating virtualenv at $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$base_python" -m venv "$venv"
fi
# Keep the venv out of git even when it lives inside the repository.
[[ -f "$venv/.gitignore" ]] || echo '*' > "$venv/.gitignore"

want="$( { cat "$req"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"

if [[ "$want" != "$have" ]]; then
  log "installing $req"
  rm -f "$stamp"
  "$py" -m pip install --disable-pip-version-check -q -r "$req" >&2
  echo "$want" > "$stamp"
else
  log "requirements up to date ($venv)"
fi

echo "$py"
