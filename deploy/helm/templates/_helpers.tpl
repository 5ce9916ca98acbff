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
{{- toJson (list "django" "django-threads" "flask" "flask-threads" "fastapi" "starlette") }}
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
An image of the project's own (the seed job's, the tests'): registry/repository:tag[@digest],
as the subcharts build theirs: image.registry, else global.imageRegistry; image.tag, else
global.imageTag; image.digest, else global.imageDigests.<last part of the repository>.
Without a registry or a tag the chart refuses to render, and says how to get them.
Usage: include "bench.image" (list $ .Values.seed.image)
*/}}
{{- define "bench.image" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- $registry := $image.registry | default $root.Values.global.imageRegistry }}
{{- $tag := $image.tag | default $root.Values.global.imageTag }}
{{- if not (and $registry $tag) }}
{{- fail (printf "%s: no image registry or tag. Build and push the images first: python3 deploy/images.py --registry <your registry> --values images.yaml, then install with -f images.yaml (deploy/helm/README.md, \"Images\", says how to get a registry)" $image.repository) }}
{{- end }}
{{- printf "%s/%s:%s" $registry $image.repository $tag }}{{ with include "bench.imageDigest" . }}@{{ . }}{{ end }}
{{- end }}

{{/*
The digest of one of the project's images, if any. Usage: as bench.image.
*/}}
{{- define "bench.imageDigest" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- $image.digest | default (index ($root.Values.global.imageDigests | default dict) (base $image.repository)) | default "" }}
{{- end }}

{{/*
Its pull policy: image.pullPolicy, else global.imagePullPolicy, else IfNotPresent when pinned by
digest (it cannot change) and Always for a tag alone. Usage: as bench.image.
*/}}
{{- define "bench.imagePullPolicy" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- $image.pullPolicy | default $root.Values.global.imagePullPolicy | default (ternary "IfNotPresent" "Always" (ne (include "bench.imageDigest" .) "")) }}
{{- end }}

{{/*
The pull secrets of the umbrella's own pods (seed job, run, tests): global.imagePullSecrets.
*/}}
{{- define "bench.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{/*
Their node selector: the one given, plus global.zone as topology.kubernetes.io/zone, so that
every pod of the comparison runs in one availability zone.
Usage: include "bench.nodeSelector" (list $ .Values.seed.nodeSelector)
*/}}
{{- define "bench.nodeSelector" -}}
{{- $root := index . 0 }}
{{- $selector := deepCopy (index . 1 | default dict) }}
{{- with $root.Values.global.zone }}
{{- $_ := set $selector "topology.kubernetes.io/zone" . }}
{{- end }}
{{- with $selector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
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
A service's base URL inside the cluster, as its Service answers: http://<fullname>:<port>.
Usage: include "bench.serviceUrl" (list $ "django")
*/}}
{{- define "bench.serviceUrl" -}}
{{- $root := index . 0 }}
{{- $alias := index . 1 }}
{{- $service := index $root.Subcharts $alias }}
{{- printf "http://%s:%v" (include "service.fullname" $service) $service.Values.service.port }}
{{- end }}

{{/*
The ConfigMap with the dataset's size and seed (LOADTEST_ROWS, LOADTEST_SEED), read by the seed
job and the run, so that demo-hit asks for names that were loaded.
*/}}
{{- define "bench.datasetConfigMap" -}}
{{- printf "%s-dataset" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The run's Job (templates/run-job.yaml): one per run id.
*/}}
{{- define "bench.runJob" -}}
{{- printf "%s-run-%s" .Release.Name .Values.locust.run.id | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The run's ServiceAccount (templates/run-rbac.yaml).
*/}}
{{- define "bench.runServiceAccount" -}}
{{- printf "%s-run" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
