{{- define "logbook.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "logbook.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The components that run as Deployments, each under its own key in the values. */}}
{{- define "logbook.components" -}}
gateway tracking artifacts registry
{{- end }}

{{/* A component's objects' name; takes (dict "root" $ "component" name). */}}
{{- define "logbook.componentName" -}}
{{- printf "%s-%s" (include "logbook.fullname" .root | trunc 51 | trimSuffix "-") .component }}
{{- end }}

{{/* Takes (dict "root" $ "component" name); component may be empty for release-wide objects. */}}
{{- define "logbook.selectorLabels" -}}
app.kubernetes.io/name: {{ include "logbook.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "logbook.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "logbook.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: logbook
{{- end }}

{{- define "logbook.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "logbook.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "logbook.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "logbook.serviceUrl" -}}
{{- $values := index .root.Values .component }}
{{- printf "http://%s:%v" (include "logbook.componentName" .) $values.port }}
{{- end }}

{{/* A service's headless Service: its name resolves to the address of every ready pod, which the gateway balances over. */}}
{{- define "logbook.podsUrl" -}}
{{- $values := index .root.Values .component }}
{{- printf "http://%s-pods:%v" (include "logbook.componentName" .) $values.port }}
{{- end }}

{{- define "logbook.authOn" -}}
{{- if ne .Values.auth.methods "off" }}true{{ end }}
{{- end }}

{{- define "logbook.generatesGatewayKey" -}}
{{- if and (include "logbook.authOn" .) .Values.auth.generateGatewayKey (not (hasKey .Values.secrets.values "LOGBOOK_GATEWAY_KEY")) (not (hasKey .Values.secrets.fromSecretKeys "LOGBOOK_GATEWAY_KEY")) }}true{{ end }}
{{- end }}

{{/*
The generated LOGBOOK_GATEWAY_KEY: the one the release's Secret already holds, else a new one. Kept in the values
for the rest of the render, so that the Secret and its copy for the migration Job carry the same key.
*/}}
{{- define "logbook.gatewayKey" -}}
{{- if not (hasKey .Values.auth "generatedGatewayKey") }}
{{- $key := randAlphaNum 64 }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "logbook.fullname" .) }}
{{- if hasKey ($existing.data | default dict) "LOGBOOK_GATEWAY_KEY" }}
{{- $key = index $existing.data "LOGBOOK_GATEWAY_KEY" | b64dec }}
{{- end }}
{{- $_ := set .Values.auth "generatedGatewayKey" $key }}
{{- end }}
{{- .Values.auth.generatedGatewayKey }}
{{- end }}

{{/* The chart's Secret's data, base64-encoded; empty when it has nothing to hold. */}}
{{- define "logbook.secretData" -}}
{{- $data := dict }}
{{- range $name, $value := .Values.secrets.values }}
{{- $_ := set $data $name (toString $value) }}
{{- end }}
{{- if and .Values.database.urlParameters (hasKey $data "DATABASE_URL") (not (hasKey .Values.secrets.fromSecretKeys "DATABASE_URL")) }}
{{- $_ := set $data "DATABASE_URL" (printf "%s?%s" $data.DATABASE_URL .Values.database.urlParameters) }}
{{- end }}
{{- if include "logbook.generatesGatewayKey" . }}
{{- $_ := set $data "LOGBOOK_GATEWAY_KEY" (include "logbook.gatewayKey" .) }}
{{- end }}
{{- range $name, $value := $data }}
{{ $name }}: {{ $value | b64enc }}
{{- end }}
{{- end }}

{{/*
LOGBOOK_ALLOWED_HOSTS for the gateway: MLflow's defaults (local names, private IPv4 ranges), the gateway's Service
names, the Ingress hosts and gateway.allowedHosts, each name also with any port.
*/}}
{{- define "logbook.gatewayAllowedHosts" -}}
{{- $service := include "logbook.componentName" (dict "root" . "component" "gateway") }}
{{- $names := list "localhost" "127.0.0.1" $service (printf "%s.%s" $service .Release.Namespace) (printf "%s.%s.svc" $service .Release.Namespace) (printf "%s.%s.svc.%s" $service .Release.Namespace .Values.clusterDomain) }}
{{- if .Values.ingress.enabled }}
{{- range .Values.ingress.hosts }}
{{- $names = append $names .host }}
{{- end }}
{{- end }}
{{- $patterns := list "10.*" "192.168.*" }}
{{- range $octet := untilStep 16 32 1 }}
{{- $patterns = append $patterns (printf "172.%d.*" $octet) }}
{{- end }}
{{- range $names }}
{{- $patterns = concat $patterns (list . (printf "%s:*" .)) }}
{{- end }}
{{- concat $patterns .Values.gateway.allowedHosts | uniq | join "," }}
{{- end }}

{{/*
The non-secret environment of a component, or of the migration Job ("migrations"), as YAML: the shared settings,
then the component's own, then the values' `env` and the component's `env`. Takes (dict "root" $ "component" name).
*/}}
{{- define "logbook.environment" -}}
{{- $root := .root }}
{{- $values := $root.Values }}
{{- $env := dict
  "LOGBOOK_MODE" "distributed"
  "HOST" $values.host
  "LOGBOOK_AUTH" $values.auth.methods
  "LOGBOOK_DATA_DIR" "/data"
  "KAFKAJS_NO_PARTITIONER_WARNING" "1"
  "LOGBOOK_KAFKA_PARTITIONS" $values.kafka.partitions
  "KAFKA_TLS" $values.kafka.tls
}}
{{- with $values.auth.adminUsername }}{{ $_ := set $env "LOGBOOK_ADMIN_USERNAME" . }}{{ end }}
{{- with $values.kafka.brokers }}{{ $_ := set $env "KAFKA_BROKERS" . }}{{ end }}
{{- with $values.kafka.namespace }}{{ $_ := set $env "LOGBOOK_KAFKA_NAMESPACE" . }}{{ end }}
{{- with $values.kafka.replicationFactor }}{{ $_ := set $env "LOGBOOK_KAFKA_REPLICATION_FACTOR" . }}{{ end }}
{{- with $values.kafka.minInsyncReplicas }}{{ $_ := set $env "LOGBOOK_KAFKA_MIN_INSYNC_REPLICAS" . }}{{ end }}
{{- with $values.kafka.sasl.mechanism }}{{ $_ := set $env "KAFKA_SASL_MECHANISM" . }}{{ end }}
{{- with $values.kafka.sasl.username }}{{ $_ := set $env "KAFKA_SASL_USERNAME" . }}{{ end }}
{{- range include "logbook.files" . | fromYamlArray }}
{{- if .env }}{{ $_ := set $env .env (printf "/etc/logbook/files/%s/%s" .name .key) }}{{ end }}
{{- end }}
{{- if eq .component "gateway" }}
{{- $_ := set $env "PORT" $values.gateway.port }}
{{- $_ := set $env "GRPC_PORT" $values.gateway.grpcPort }}
{{- $_ := set $env "TRACKING_URL" (include "logbook.podsUrl" (dict "root" $root "component" "tracking")) }}
{{- $_ := set $env "ARTIFACTS_URL" (include "logbook.podsUrl" (dict "root" $root "component" "artifacts")) }}
{{- $_ := set $env "REGISTRY_URL" (include "logbook.podsUrl" (dict "root" $root "component" "registry")) }}
{{- $_ := set $env "LOGBOOK_UPSTREAM_DISCOVERY" "dns" }}
{{- $_ := set $env "LOGBOOK_ALLOWED_HOSTS" (include "logbook.gatewayAllowedHosts" $root) }}
{{- else if ne .component "migrations" }}
{{- $_ := set $env "PORT" (index $values .component).port }}
{{- $_ := set $env "LOGBOOK_GATEWAY_URL" (include "logbook.serviceUrl" (dict "root" $root "component" "gateway")) }}
{{- end }}
{{- if eq .component "artifacts" }}
{{- $_ := set $env "LOGBOOK_ARTIFACTS_BACKEND" "s3" }}
{{- $_ := set $env "S3_REGION" $values.s3.region }}
{{- $_ := set $env "S3_FORCE_PATH_STYLE" $values.s3.forcePathStyle }}
{{- with $values.s3.bucket }}{{ $_ := set $env "S3_BUCKET" . }}{{ end }}
{{- with $values.s3.endpoint }}{{ $_ := set $env "S3_ENDPOINT" . }}{{ end }}
{{- with $values.s3.prefix }}{{ $_ := set $env "S3_PREFIX" . }}{{ end }}
{{- end }}
{{- $env = merge (deepCopy (index $values .component).env) (deepCopy $values.env) $env }}
{{- range $name, $value := $env }}
{{ $name }}: {{ toString $value | quote }}
{{- end }}
{{- end }}

{{/*
envFrom and env of a container. Takes (dict "root" $ "configMap" name "secret" name): the secret is the chart's
Secret or its copy, used only when the chart has a Secret.
*/}}
{{- define "logbook.containerEnvironment" -}}
{{- $values := .root.Values }}
envFrom:
  - configMapRef:
      name: {{ .configMap }}
  {{- if include "logbook.secretData" .root }}
  - secretRef:
      name: {{ .secret }}
  {{- end }}
  {{- range $values.secrets.existingSecrets }}
  - secretRef:
      name: {{ . }}
  {{- end }}
{{- $composeDatabaseUrl := and $values.database.urlParameters (hasKey $values.secrets.fromSecretKeys "DATABASE_URL") }}
{{- if and $values.database.urlParameters (not $composeDatabaseUrl) (not (hasKey $values.secrets.values "DATABASE_URL")) }}
{{- fail "database.urlParameters extends DATABASE_URL given in secrets.values or secrets.fromSecretKeys; a key of secrets.existingSecrets cannot be extended" }}
{{- end }}
{{- if or $values.secrets.fromSecretKeys $values.extraEnv }}
env:
  {{- range $name, $ref := $values.secrets.fromSecretKeys }}
  - name: {{ ternary "LOGBOOK_DATABASE_URL_BASE" $name (and $composeDatabaseUrl (eq $name "DATABASE_URL")) }}
    valueFrom:
      secretKeyRef:
        name: {{ $ref.name }}
        key: {{ $ref.key }}
  {{- end }}
  {{- if $composeDatabaseUrl }}
  {{- /* Kubernetes expands $(NAME) from the variables defined before it in the same container. */}}
  - name: DATABASE_URL
    value: {{ printf "$(LOGBOOK_DATABASE_URL_BASE)?%s" $values.database.urlParameters | quote }}
  {{- end }}
  {{- with $values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end }}

{{/* The `files` entries a component (or "migrations") mounts; takes (dict "root" $ "component" name). */}}
{{- define "logbook.files" -}}
{{- $component := .component }}
{{- $files := list }}
{{- range .root.Values.files }}
{{- if or (not .components) (has $component .components) }}
{{- $files = append $files . }}
{{- end }}
{{- end }}
{{- toYaml $files }}
{{- end }}

{{/* Takes (dict "root" $ "component" name), as the two below. */}}
{{- define "logbook.volumeMounts" -}}
- name: data
  mountPath: /data
- name: tmp
  mountPath: /tmp
{{- range include "logbook.files" . | fromYamlArray }}
- name: file-{{ .name }}
  mountPath: /etc/logbook/files/{{ .name }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "logbook.volumes" -}}
- name: data
  emptyDir:
    sizeLimit: {{ .root.Values.dataVolume.sizeLimit }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.dataVolume.sizeLimit }}
{{- range include "logbook.files" . | fromYamlArray }}
- name: file-{{ .name }}
  {{- if .secret }}
  secret:
    secretName: {{ .secret }}
    defaultMode: 0440
  {{- else }}
  configMap:
    name: {{ .configMap }}
    defaultMode: 0444
  {{- end }}
    items:
      - key: {{ .key }}
        path: {{ .key }}
{{- end }}
{{- end }}

{{/* Scheduling of a component's pods: its own non-empty settings, else the values' defaults. */}}
{{- define "logbook.scheduling" -}}
{{- $values := .root.Values }}
{{- $own := index $values .component | default dict }}
{{- with $own.nodeSelector | default $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $own.tolerations | default $values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $own.affinity | default $values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $own.topologySpreadConstraints | default $values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  {{- $constraint := deepCopy . }}
  {{- if not (hasKey $constraint "labelSelector") }}
  {{- $_ := set $constraint "labelSelector" (dict "matchLabels" (include "logbook.selectorLabels" $ | fromYaml)) }}
  {{- end }}
  - {{ toYaml $constraint | nindent 4 | trim }}
  {{- end }}
{{- end }}
{{- end }}
