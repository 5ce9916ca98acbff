{{/*
Expand the name of the chart.
*/}}
{{- define "locust.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
Unlike `helm create`, always "<release>-<name>", as in the other subcharts of deploy/helm: the
umbrella chart's NOTES.txt and README name these objects by that pattern.
*/}}
{{- define "locust.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "locust.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "locust.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels (without a component: each object adds its own).
*/}}
{{- define "locust.labels" -}}
helm.sh/chart: {{ include "locust.chart" . }}
{{ include "locust.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/part-of: bench
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "locust.selectorLabels" -}}
app.kubernetes.io/name: {{ include "locust.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The image reference: [registry/]repository:tag. The registry is image.registry, else
global.imageRegistry; the tag defaults to the chart's appVersion, never "latest".
*/}}
{{- define "locust.image" -}}
{{- $registry := .Values.image.registry | default (dig "imageRegistry" "" (.Values.global | default dict)) }}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if $registry }}
{{- printf "%s/%s:%s" $registry .Values.image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
The host the workers connect to: the master Service.
*/}}
{{- define "locust.masterHost" -}}
{{- include "locust.fullname" . }}-master
{{- end }}

{{/*
The name of this release's run: one Job per Helm revision, so `helm upgrade` starts a new run.
*/}}
{{- define "locust.runName" -}}
{{- printf "%s-run-%d" (include "locust.fullname" .) (int .Release.Revision) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Environment shared by every loadtest container: `env` (values evaluated with tpl).
*/}}
{{- define "locust.env" -}}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ tpl (toString $value) $ | quote }}
{{- end }}
{{- end }}

{{/*
envFrom shared by every loadtest container: `envFrom` (names evaluated with tpl), e.g. the
umbrella chart's dataset ConfigMap (LOADTEST_ROWS, LOADTEST_SEED).
*/}}
{{- define "locust.envFrom" -}}
{{- with .Values.envFrom }}
{{- tpl (toYaml .) $ }}
{{- end }}
{{- end }}

{{/*
Pod-level settings shared by the master, the workers and the run: pull secrets, security, no
API token.
*/}}
{{- define "locust.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
automountServiceAccountToken: false
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Scheduling for one component: its nodeSelector, affinity, tolerations and topology spread.
Usage: include "locust.scheduling" .Values.workers
*/}}
{{- define "locust.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
One option value as text: whole numbers without an exponent (Helm reads YAML numbers as
floats, and 1000000 would otherwise print as 1e+06).
*/}}
{{- define "locust.scalar" -}}
{{- if and (kindIs "float64" .) (eq . (floor .)) }}
{{- printf "%d" (int64 .) }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/*
A map of options as a list of "--name=value" arguments; a list value repeats the option.
*/}}
{{- define "locust.options" -}}
{{- range $name, $value := . }}
{{- if kindIs "slice" $value }}
{{- range $value }}
- {{ printf "--%s=%s" $name (include "locust.scalar" .) | quote }}
{{- end }}
{{- else if not (kindIs "invalid" $value) }}
- {{ printf "--%s=%s" $name (include "locust.scalar" $value) | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The line after which a run's log holds its Markdown report.
*/}}
{{- define "locust.reportMarker" -}}
==> report.md <==
{{- end }}
