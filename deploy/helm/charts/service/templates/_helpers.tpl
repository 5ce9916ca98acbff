{{/*
Expand the name of the chart: the alias in the umbrella chart, or nameOverride (each
services/<name>/values.yaml sets it to the service's name).
*/}}
{{- define "service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
Unlike `helm create`, always "<release>-<name>", even when the release name contains the name:
the umbrella chart and the load generator address each service by that pattern
(deploy/helm/values.yaml, `locust.targets`).
*/}}
{{- define "service.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "service.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "service.labels" -}}
helm.sh/chart: {{ include "service.chart" . }}
{{ include "service.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/part-of: bench
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Create the name of the service account to use
*/}}
{{- define "service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: [registry/]repository:tag. The registry is image.registry, else
global.imageRegistry (the umbrella chart's, e.g. an ACR login server); the tag defaults to the
chart's appVersion, never "latest".
*/}}
{{- define "service.image" -}}
{{- $registry := .Values.image.registry | default (dig "imageRegistry" "" (.Values.global | default dict)) }}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if $registry }}
{{- printf "%s/%s:%s" $registry .Values.image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
MySQL host: database.host, else global.database.host (set by the umbrella chart to its MySQL),
else "mysql". Evaluated with tpl, so it may name the release.
*/}}
{{- define "service.databaseHost" -}}
{{- $host := .Values.database.host | default (dig "database" "host" "" (.Values.global | default dict)) | default "mysql" }}
{{- tpl $host . }}
{{- end }}

{{/*
The Secret holding the database password: database.existingSecret, else
global.database.secretName (the umbrella chart's MySQL Secret), else "mysql". Evaluated with tpl.
*/}}
{{- define "service.databaseSecret" -}}
{{- $name := .Values.database.existingSecret | default (dig "database" "secretName" "" (.Values.global | default dict)) | default "mysql" }}
{{- tpl $name . }}
{{- end }}

{{/*
The Secret holding the framework's secret key: secretKey.existingSecret, else the one this
chart creates.
*/}}
{{- define "service.secretKeySecret" -}}
{{- if .Values.secretKey.existingSecret }}
{{- tpl .Values.secretKey.existingSecret . }}
{{- else }}
{{- include "service.fullname" . }}
{{- end }}
{{- end }}

{{/*
The host names the service answers to: its Service's DNS names and "localhost" (which the
probes send), comma-separated. For frameworks that check the Host header (Django's
ALLOWED_HOSTS); a service's values use it in `env` as '{{ include "service.hostnames" . }}'.
*/}}
{{- define "service.hostnames" -}}
{{- $name := include "service.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- join "," (list $name (printf "%s.%s" $name $ns) (printf "%s.%s.svc" $name $ns) (printf "%s.%s.svc.cluster.local" $name $ns) "localhost") }}
{{- end }}
