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
The image reference: registry/repository:tag[@digest]. The registry is image.registry, else
global.imageRegistry; the tag image.tag, else global.imageTag (deploy/images.py pushes the
image under its git commit); the digest image.digest, else global.imageDigests.loadtest.
Without a registry or a tag the chart refuses to render, and says how to get them.
*/}}
{{- define "locust.image" -}}
{{- $global := .Values.global | default dict }}
{{- $registry := .Values.image.registry | default $global.imageRegistry }}
{{- $tag := .Values.image.tag | default $global.imageTag }}
{{- if not (and $registry $tag) }}
{{- fail (printf "%s: no image registry or tag. Build and push the images first: python3 deploy/images.py --registry <your registry> --values images.yaml, then install with -f images.yaml (deploy/helm/README.md, \"Images\", says how to get a registry)" .Values.image.repository) }}
{{- end }}
{{- $digest := include "locust.imageDigest" . }}
{{- printf "%s/%s:%s" $registry .Values.image.repository $tag }}{{ with $digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
The image's digest, if any (image.digest, else global.imageDigests.<name>).
*/}}
{{- define "locust.imageDigest" -}}
{{- $digests := dig "imageDigests" dict (.Values.global | default dict) }}
{{- .Values.image.digest | default (index $digests (base .Values.image.repository)) | default "" }}
{{- end }}

{{/*
The pull policy: image.pullPolicy, else global.imagePullPolicy, else IfNotPresent for an image
pinned by digest and Always for a tag alone.
*/}}
{{- define "locust.imagePullPolicy" -}}
{{- $global := .Values.global | default dict }}
{{- .Values.image.pullPolicy | default $global.imagePullPolicy | default (ternary "IfNotPresent" "Always" (ne (include "locust.imageDigest" .) "")) }}
{{- end }}

{{/*
The host the workers connect to: the master Service.
*/}}
{{- define "locust.masterHost" -}}
{{- include "locust.fullname" . }}-master
{{- end }}

{{/*
The run's id (run.id): the headless run, its Job and its results folder exist only with one.
*/}}
{{- define "locust.runId" -}}
{{- if eq .Values.mode "headless" }}{{ .Values.run.id }}{{ end }}
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
Pod-level settings shared by the master, the workers and the run: pull secrets (imagePullSecrets
and global.imagePullSecrets), security, no API token.
*/}}
{{- define "locust.podSpecCommon" -}}
{{- with concat (.Values.imagePullSecrets | default list) (dig "imagePullSecrets" list (.Values.global | default dict)) }}
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
Scheduling for one component: its nodeSelector (plus global.zone as topology.kubernetes.io/zone
when set, so that every pod of the comparison runs in one availability zone), affinity,
tolerations and topology spread.
Usage: include "locust.scheduling" (list . .Values.workers)
*/}}
{{- define "locust.scheduling" -}}
{{- $root := index . 0 }}
{{- $component := index . 1 }}
{{- $selector := deepCopy ($component.nodeSelector | default dict) }}
{{- with dig "zone" "" ($root.Values.global | default dict) }}
{{- $_ := set $selector "topology.kubernetes.io/zone" . }}
{{- end }}
{{- with $selector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $component }}
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
