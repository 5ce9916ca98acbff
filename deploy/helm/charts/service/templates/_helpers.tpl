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
The image reference: registry/repository:tag[@digest]. The registry is image.registry, else
global.imageRegistry; the tag is image.tag, else global.imageTag (deploy/images.py pushes every
image under its git commit and writes both); the digest is image.digest, else
global.imageDigests.<last part of the repository>. Nothing is ever pulled from a default
registry: without a registry or a tag the chart refuses to render, and says how to get them.
*/}}
{{- define "service.image" -}}
{{- $global := .Values.global | default dict }}
{{- $registry := .Values.image.registry | default $global.imageRegistry }}
{{- $tag := .Values.image.tag | default $global.imageTag }}
{{- if not (and $registry $tag) }}
{{- fail (printf "%s: no image registry or tag. Build and push the images first: python3 deploy/images.py --registry <your registry> --values images.yaml, then install with -f images.yaml (deploy/helm/README.md, \"Images\", says how to get a registry)" .Values.image.repository) }}
{{- end }}
{{- $digest := include "service.imageDigest" . }}
{{- printf "%s/%s:%s" $registry .Values.image.repository $tag }}{{ with $digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
The image's digest, if any (image.digest, else global.imageDigests.<name>).
*/}}
{{- define "service.imageDigest" -}}
{{- $digests := dig "imageDigests" dict (.Values.global | default dict) }}
{{- .Values.image.digest | default (index $digests (base .Values.image.repository)) | default "" }}
{{- end }}

{{/*
The pull policy: image.pullPolicy, else global.imagePullPolicy, else IfNotPresent for an image
pinned by digest (it cannot change) and Always for a tag alone (the node checks the registry).
*/}}
{{- define "service.imagePullPolicy" -}}
{{- $global := .Values.global | default dict }}
{{- .Values.image.pullPolicy | default $global.imagePullPolicy | default (ternary "IfNotPresent" "Always" (ne (include "service.imageDigest" .) "")) }}
{{- end }}

{{/*
Pull secrets: imagePullSecrets, then global.imagePullSecrets (e.g. an ACR token's, when the
nodes have no pull role on the registry).
*/}}
{{- define "service.imagePullSecrets" -}}
{{- $secrets := concat (.Values.imagePullSecrets | default list) (dig "imagePullSecrets" list (.Values.global | default dict)) }}
{{- with $secrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The node selector: nodeSelector, plus global.zone as topology.kubernetes.io/zone when set, so
that every pod of the comparison runs in one availability zone.
*/}}
{{- define "service.nodeSelector" -}}
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
