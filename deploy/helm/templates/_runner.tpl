{{- /*
The runner's wiring, in one place: what the run Job (run-job.yaml) passes to the comparison's
runner, `python -m loadtest run` (loadtest/README.md, "run: capacity at the SLO"), and what the
umbrella checks about it (checks.yaml). Everything here is derived from the enabled services'
own values (services/<name>/values.yaml), so that no list of targets, stacks or CPU budgets is
kept twice. Per service: its URL, its stack, its CPU budget (--cpu-allowance: capacity per core
is capacity / CORES) and, with locust.run.serviceCpu, where its pods' CPU comes from
(--cpu-from: the metrics API, with the run's ServiceAccount, run-rbac.yaml). The method's
options are locust.run.options (charts/locust/values.yaml).
*/ -}}

{{/*
The run's arguments after locust.run.command, as a YAML list of strings.
*/}}
{{- define "bench.runArgs" -}}
{{- $locust := .Values.locust }}
{{- $run := $locust.run }}
{{- $workers := $locust.workers }}
{{- $budget := dict }}
{{- range $alias := include "bench.enabledServices" . | fromJsonArray }}
{{- $service := index $.Values $alias }}
{{- $name := include "bench.serviceName" (list $ $alias) }}
{{- $budget = $service }}
- {{ printf "--target=%s=%s" $name (include "bench.serviceUrl" (list $ $alias)) | quote }}
{{- /* The report names each service's stack, as `nox -s bench` does. */}}
- {{ printf "--meta=stack.%s=%s" $name $service.stack | quote }}
{{- /* Its CPU budget, the denominator of req/s per core: every replica's CPU limit. */}}
{{- $cores := include "bench.cores" $service.resources.limits.cpu | float64 }}
- {{ printf "--cpu-allowance=%s=%v" $name (mulf (int $service.replicaCount) $cores) | quote }}
{{- if $run.serviceCpu }}
{{- /* Its pods, as its Deployment selects them (the service chart's deployment.yaml). */}}
{{- $selector := include "service.selectorLabels" (index $.Subcharts $alias) | fromYaml }}
{{- $_ := set $selector "app.kubernetes.io/component" "web" }}
{{- $pairs := list }}
{{- range $key, $value := $selector }}{{ $pairs = append $pairs (printf "%s=%s" $key $value) }}{{ end }}
- {{ printf "--cpu-from=%s=k8s:%s/%s" $name $.Release.Namespace (join "," $pairs) | quote }}
{{- end }}
{{- end }}
{{- with $budget }}
{{- /* The same for every service (checks.yaml): the conditions of the run. */}}
- {{ printf "--label=web_concurrency=%v" .config.webConcurrency | quote }}
- {{ printf "--label=db_pool_size=%v" .config.dbPoolSize | quote }}
{{- end }}
{{- include "locust.options" $run.options }}
{{- range $key, $value := $run.meta }}
- {{ printf "--meta=%s=%s" $key (include "locust.scalar" $value) | quote }}
{{- end }}
- {{ printf "--meta=run=%s" $run.id | quote }}
- {{ printf "--meta=chart=%s" (include "bench.chart" .) | quote }}
- {{ printf "--meta=image_tag=%s" .Values.global.imageTag | quote }}
{{- with .Values.global.zone }}
- {{ printf "--meta=zone=%s" . | quote }}
{{- end }}
{{- /* The load generators' CPU: how many workers, what each may use, and the master's. */}}
- {{ printf "--meta=workers=%d" (int $workers.replicas) | quote }}
- {{ printf "--meta=worker_cpu_limit=%v" $workers.resources.limits.cpu | quote }}
- {{ printf "--meta=master_cpu_limit=%v" $run.resources.limits.cpu | quote }}
- {{ printf "--expect-workers=%d" (int $workers.replicas) | quote }}
- {{ printf "--master-bind-port=%d" (int $locust.masterPort) | quote }}
{{- end }}

{{/*
A CPU quantity ("6", "500m", 1.5) as cores; anything else is refused.
*/}}
{{- define "bench.cores" -}}
{{- $quantity := toString . }}
{{- if not (regexMatch "^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)m?$" $quantity) }}
{{- fail (printf "a service's resources.limits.cpu is %q: give it in cores (\"6\", 1.5) or millicores (\"500m\")" $quantity) }}
{{- end }}
{{- if hasSuffix "m" $quantity }}
{{- divf (trimSuffix "m" $quantity | float64) 1000 }}
{{- else }}
{{- float64 $quantity }}
{{- end }}
{{- end }}

{{/*
One of the method's options as a number: locust.run.options.<name>, else (missing or null) the
runner's own default, given here. Usage: include "bench.runOption" (list $options "window" 10)
*/}}
{{- define "bench.runOption" -}}
{{- $options := index . 0 }}
{{- $name := index . 1 }}
{{- $value := get $options $name }}
{{- if or (not (hasKey $options $name)) (kindIs "invalid" $value) }}{{ index . 2 }}{{ else }}{{ $value }}{{ end }}
{{- end }}

{{/*
The longest the run can take, in whole seconds: its waits (for the services, for the workers),
then every round x service x scenario's search, by the arithmetic of perf/compare.py (a step
costs its settling, its window and 0.15 s of exchanges, STEP_OVERHEAD there), at most: a probe
(warm-up + window) and max-steps rate steps (settle + window) each; with fixed `rate`s, those
steps alone. The defaults are the runner's (`python -m loadtest run --help`).
checks.yaml refuses a shorter run deadline; tests/test_runner.py checks both against the runner.
*/}}
{{- define "bench.runSeconds" -}}
{{- $run := .Values.locust.run }}
{{- $options := $run.options | default dict }}
{{- $services := include "bench.enabledServices" . | fromJsonArray | len }}
{{- $scenario := get $options "scenario" | default (list "demo" "demo-hit" "idle") }}
{{- $scenarios := ternary (len $scenario) 1 (kindIs "slice" $scenario) }}
{{- $rates := get $options "rate" | default list }}
{{- $rates = ternary $rates (list $rates) (kindIs "slice" $rates) }}
{{- $overhead := 0.15 }}
{{- $window := include "bench.runOption" (list $options "window" 10) | float64 }}
{{- $step := addf (include "bench.runOption" (list $options "settle" 2) | float64) $window $overhead }}
{{- $search := 0.0 }}
{{- if $rates }}
{{- $search = mulf (len $rates) $step }}
{{- else }}
{{- $probe := addf (include "bench.runOption" (list $options "warmup" 5) | float64) $window $overhead }}
{{- $search = addf $probe (mulf (include "bench.runOption" (list $options "max-steps" 12) | int) $step) }}
{{- end }}
{{- $repeats := include "bench.runOption" (list $options "repeats" 3) | int }}
{{- $waits := addf (ternary $run.waitTimeoutSeconds 0 $run.waitForTargets) (include "bench.runOption" (list $options "expect-workers-max-wait" 300) | float64) }}
{{- addf $waits (mulf $repeats $services $scenarios $search) | ceil | int }}
{{- end }}
