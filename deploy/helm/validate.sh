#!/usr/bin/env bash
# Validates the Helm chart statically (no cluster): for Kubernetes 1.30.0 and 1.37.0, `helm lint --strict` and
# `helm template | kubeconform -strict` with the default values, each deploy/helm/examples/*.yaml and one render
# with every optional feature on (logbook/ci/all-features-values.yaml); then checks that values.schema.json refuses
# a wrong value and that kubeconform refuses a misspelt field, so neither check passes by checking nothing.
#
# The tools are installed the first time into .logbook/tools: helm and kubeconform built from the Go module proxy,
# and the kubernetes-validate wheel from PyPI, whose schemas k8s-schemas.py makes usable offline.
# LOGBOOK_TOOLS_BIN=<folder> uses the helm and kubeconform found there instead of building them.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

helm_module=helm.sh/helm/v3
helm_version=v3.21.4
kubeconform_module=github.com/yannh/kubeconform
kubeconform_version=v0.8.0
schemas_package_version=1.37.0
kube_versions=(1.30.0 1.37.0)
chart=deploy/helm/logbook

tools="$repo/.logbook/tools"
bin="${LOGBOOK_TOOLS_BIN:-$tools/bin}"
schemas="$tools/schemas/kubernetes-validate-$schemas_package_version"
work="$tools/renders"
# helm lint and template need none of these, but would otherwise default to folders under HOME.
export HELM_CACHE_HOME="$tools/helm/cache" HELM_CONFIG_HOME="$tools/helm/config" HELM_DATA_HOME="$tools/helm/data"

fail() {
  echo "deploy/helm/validate.sh: $*" >&2
  exit 1
}

now() { date +%s.%N; }
seconds_since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'; }
started="$(now)"

command -v go >/dev/null || fail "Go is needed (go version -m checks the tools' versions; go install builds them)"

# Whether BINARY was built from MODULE at VERSION (a `go install`ed binary records both).
is_pinned() {
  [ -x "$1" ] && go version -m "$1" 2>/dev/null | awk -v module="$2" -v version="$3" \
    '$1 == "mod" && $2 == module && $3 == version { found = 1 } END { exit !found }'
}

# ensure_tool NAME MODULE VERSION PACKAGE
ensure_tool() {
  local binary="$bin/$1"
  is_pinned "$binary" "$2" "$3" && return
  [ -z "${LOGBOOK_TOOLS_BIN:-}" ] || fail "LOGBOOK_TOOLS_BIN: $binary is not $2 $3"
  echo "[chart] installing $1 $3 into $bin (go install, a few minutes the first time)" >&2
  mkdir -p "$bin"
  GOBIN="$bin" GOFLAGS=-mod=mod nice -n 10 go install "$4@$3" >&2
  is_pinned "$binary" "$2" "$3" || fail "go install gave no $2 $3 at $binary"
}
ensure_tool helm "$helm_module" "$helm_version" "$helm_module/cmd/helm"
ensure_tool kubeconform "$kubeconform_module" "$kubeconform_version" "$kubeconform_module/cmd/kubeconform"
helm="$bin/helm"
kubeconform="$bin/kubeconform"

wheel="$tools/kubernetes_validate-$schemas_package_version-py3-none-any.whl"
if [ ! -f "$wheel" ]; then
  echo "[chart] downloading kubernetes-validate $schemas_package_version (Kubernetes JSON schemas) from PyPI" >&2
  python3 -m pip download -q --no-deps -d "$tools" "kubernetes-validate==$schemas_package_version" >&2
  [ -f "$wheel" ] || fail "pip download gave no $wheel"
fi
for version in "${kube_versions[@]}"; do
  if [ ! -f "$schemas/v$version-local-strict/_definitions.json" ]; then
    # Extracted beside, then moved in whole: an interrupted run leaves no half folder behind.
    rm -rf "$schemas.partial"
    python3 deploy/helm/k8s-schemas.py "$wheel" "v$version" "$schemas.partial" >&2
    mkdir -p "$schemas"
    mv "$schemas.partial/v$version-local-strict" "$schemas/"
    rm -rf "$schemas.partial"
  fi
done
schema_location="$schemas/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"

rm -rf "$work"
mkdir -p "$work"
values_files=("" deploy/helm/examples/*.yaml "$chart/ci/all-features-values.yaml")
renders=0
for version in "${kube_versions[@]}"; do
  version_started="$(now)"
  manifests=()
  for values in "${values_files[@]}"; do
    name="${values:-default values}"
    arguments=(--kube-version "$version")
    [ -z "$values" ] || arguments+=(-f "$values")
    "$helm" lint --strict "${arguments[@]}" "$chart" >"$work/lint.log" 2>&1 || {
      cat "$work/lint.log" >&2
      fail "helm lint --strict failed for Kubernetes $version with $name"
    }
    rendered="$work/$version-$(basename "${values:-default}" .yaml).yaml"
    "$helm" template logbook "$chart" --namespace logbook "${arguments[@]}" >"$rendered" ||
      fail "helm template failed for Kubernetes $version with $name"
    echo "[chart] Kubernetes $version, $name: lint clean, $(grep -c '^kind:' "$rendered") resources rendered"
    manifests+=("$rendered")
    renders=$((renders + 1))
  done
  # One run for every render of a version: kubeconform compiles each kind's schema once.
  summary="$("$kubeconform" -strict -summary -kubernetes-version "$version" -schema-location "$schema_location" \
    "${manifests[@]}")" || {
    echo "$summary" >&2
    fail "kubeconform -strict refused the chart for Kubernetes $version (renders in $work)"
  }
  echo "[chart] Kubernetes $version: kubeconform -strict: ${summary#Summary: } ($(seconds_since "$version_started") s)"
done

# The values schema must refuse a wrong type before anything renders.
if refusal="$("$helm" template logbook "$chart" --kube-version 1.37.0 --set gateway.replicas=abc 2>&1)"; then
  fail "values.schema.json accepted gateway.replicas=abc"
fi
grep -qF "at '/gateway/replicas'" <<<"$refusal" || fail "gateway.replicas=abc was refused, but not by the values schema: $refusal"
echo "[chart] values.schema.json refuses gateway.replicas=abc"

# kubeconform must refuse a field Kubernetes does not know (affinity is passed through unchecked by the values schema).
"$helm" template logbook "$chart" --kube-version 1.37.0 --set-json 'tracking.affinity={"podAntiAfinity":{}}' \
  >"$work/misspelt.yaml"
if "$kubeconform" -strict -summary -kubernetes-version 1.37.0 -schema-location "$schema_location" \
  "$work/misspelt.yaml" >"$work/misspelt.log" 2>&1; then
  fail "kubeconform -strict accepted a Deployment with affinity.podAntiAfinity"
fi
grep -q "podAntiAfinity" "$work/misspelt.log" || {
  cat "$work/misspelt.log" >&2
  fail "kubeconform refused the misspelt affinity for another reason"
}
echo "[chart] kubeconform -strict refuses affinity.podAntiAfinity"

echo "[chart] $renders renders lint clean and schema-valid (Kubernetes ${kube_versions[*]}), both refusals seen, in $(seconds_since "$started") s"
