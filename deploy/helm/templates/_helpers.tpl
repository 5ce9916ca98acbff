{{/*
Expand the name of the chart.
*/}}
{{- define "bench.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "bench.fullname" -}}
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

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "bench.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "bench.labels" -}}
helm.sh/chart: {{ include "bench.chart" . }}
{{ include "bench.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/part-of: bench
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "bench.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bench.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The services, by alias (the dependencies in Chart.yaml), in report order.
*/}}
{{- define "bench.serviceAliases" -}}
{{- toJson (list "django" "flask" "fastapi" "starlette") }}
{{- end }}

{{/*
The aliases of the enabled services, as a JSON list.
*/}}
{{- define "bench.enabledServices" -}}
{{- $enabled := list }}
{{- range $alias := include "bench.serviceAliases" . | fromJsonArray }}
{{- $values := index $.Values $alias | default dict }}
{{- if or (not (hasKey $values "enabled")) $values.enabled }}
{{- $enabled = append $enabled $alias }}
{{- end }}
{{- end }}
{{- toJson $enabled }}
{{- end }}

{{/*
A service's app.kubernetes.io/name label, as its subchart sets it (service.name): nameOverride,
else the alias. Usage: include "bench.serviceName" (list $ "django")
*/}}
{{- define "bench.serviceName" -}}
{{- $root := index . 0 }}
{{- $alias := index . 1 }}
{{- default $alias (index $root.Values $alias).nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The image of the project's own images (seed job, tests): [registry/]repository:tag, with the
registry from image.registry or global.imageRegistry and the tag defaulting to appVersion.
Usage: include "bench.image" (list $ .Values.seed.image)
*/}}
{{- define "bench.image" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- $registry := $image.registry | default $root.Values.global.imageRegistry }}
{{- $tag := $image.tag | default $root.Chart.AppVersion }}
{{- if $registry }}
{{- printf "%s/%s:%s" $registry $image.repository $tag }}
{{- else }}
{{- printf "%s:%s" $image.repository $tag }}
{{- end }}
{{- end }}

{{/*
The MySQL host and Secret every client uses (global.database, evaluated with tpl).
*/}}
{{- define "bench.databaseHost" -}}
{{- tpl .Values.global.database.host . }}
{{- end }}
{{- define "bench.databaseSecret" -}}
{{- tpl .Values.global.database.secretName . }}
{{- end }}

{{/*
The ConfigMap with the dataset's size and seed (LOADTEST_ROWS, LOADTEST_SEED), read by the seed
job and the run, so that demo-hit asks for names that were loaded.
*/}}
{{- define "bench.datasetConfigMap" -}}
{{- printf "%s-dataset" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
