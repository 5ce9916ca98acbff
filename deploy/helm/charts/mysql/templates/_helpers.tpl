{{/*
Expand the name of the chart.
*/}}
{{- define "mysql.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
Unlike `helm create`, always "<release>-<name>", even when the release name contains the name:
the umbrella chart points the services at "<release>-mysql" (deploy/helm/values.yaml,
global.database).
*/}}
{{- define "mysql.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "mysql.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "mysql.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "mysql.labels" -}}
helm.sh/chart: {{ include "mysql.chart" . }}
{{ include "mysql.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/component: database
app.kubernetes.io/part-of: bench
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "mysql.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mysql.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The image reference, registry/repository:tag[@digest]; the tag defaults to the chart's
appVersion (the 8.4 LTS line). deploy/images.py writes the digest that tag had when it ran.
*/}}
{{- define "mysql.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if .Values.image.registry }}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- with .Values.image.digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
The pull policy: image.pullPolicy, else IfNotPresent when pinned by digest, Always for a tag.
*/}}
{{- define "mysql.imagePullPolicy" -}}
{{- .Values.image.pullPolicy | default (ternary "IfNotPresent" "Always" (ne (.Values.image.digest | default "") "")) }}
{{- end }}

{{/*
Pull secrets: imagePullSecrets, then global.imagePullSecrets.
*/}}
{{- define "mysql.imagePullSecrets" -}}
{{- $secrets := concat (.Values.imagePullSecrets | default list) (dig "imagePullSecrets" list (.Values.global | default dict)) }}
{{- with $secrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The node selector: nodeSelector, plus global.zone as topology.kubernetes.io/zone when set.
*/}}
{{- define "mysql.nodeSelector" -}}
{{- $selector := deepCopy (.Values.nodeSelector | default dict) }}
{{- with dig "zone" "" (.Values.global | default dict) }}
{{- $_ := set $selector "topology.kubernetes.io/zone" . }}
{{- end }}
{{- with $selector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Where the password files are mounted (the Secret as a volume, never as variables).
*/}}
{{- define "mysql.secretsPath" -}}
/run/secrets/mysql
{{- end }}

{{/*
The Secret with the passwords: auth.existingSecret (tpl), else the one this chart creates.
*/}}
{{- define "mysql.secretName" -}}
{{- if .Values.auth.existingSecret }}
{{- tpl .Values.auth.existingSecret . }}
{{- else }}
{{- include "mysql.fullname" . }}
{{- end }}
{{- end }}
