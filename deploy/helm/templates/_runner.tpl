{{- /*
The runner's wiring, in one place: what the run Job (run-job.yaml) passes to the comparison's
runner, and what the umbrella checks about it (checks.yaml). Everything here is derived from the
enabled services' own values (services/<name>/values.yaml), so that no list of targets, stacks
or CPU budgets is kept twice.

locust.run.runner picks the runner's command line (loadtest/README.md, "run"):
- closed-loop: today's `python -m loadtest run`, a fixed number of closed-loop users per service
  and scenario, one warm-up and one window each; the CPU budgets go in as facts (--meta);
- capacity: the capacity-at-SLO runner (issue "The answer to gevent or asyncio?"): the offered
  rate is searched, each service's CPU budget is its --cpu-allowance, and its pods' CPU comes
  from the metrics API (--cpu-from, with the run's ServiceAccount, run-rbac.yaml).
Switching is locust.run.runner and the runner's own locust.run.options (values.yaml).
*/ -}}

{{/*
The run's arguments after locust.run.command, as a YAML list of strings.
*/}}
{{- define "bench.runArgs" -}}
{{- $locust := .Values.locust }}
{{- $run := $locust.run }}
{{- $workers := $locust.workers }}
{{- $capacity := eq $run.runner "capacity" }}
{{- $budget := dict }}
{{- range $alias := include "bench.enabledServices" . | fromJsonArray }}
{{- $service := index $.Values $alias }}
{{- $name := include "bench.serviceName" (list $ $alias) }}
{{- $budget = $service }}
- {{ printf "--target=%s=%s" $name (include "bench.serviceUrl" (list $ $alias)) | quote }}
{{- /* The report names each service's stack, as `nox -s bench` does. */}}
- {{ printf "--meta=stack.%s=%s" $name $service.stack | quote }}
{{- /* Each service's CPU budget: the denominator of req/s per core. */}}
{{- if $capacity }}
- {{ printf "--cpu-allowance=%s=%v" $name $service.resources.limits.cpu | quote }}
{{- if $run.serviceCpu }}
{{- $selector := include "service.selectorLabels" (index $.Subcharts $alias) | fromYaml }}
{{- $pairs := list }}
{{- range $key, $value := $selector }}{{ $pairs = append $pairs (printf "%s=%s" $key $value) }}{{ end }}
- {{ printf "--cpu-from=%s=k8s:%s/%s,app.kubernetes.io/component=web" $name $.Release.Namespace (join "," $pairs) | quote }}
{{- end }}
{{- else }}
- {{ printf "--meta=cpu_limit.%s=%v" $name $service.resources.limits.cpu | quote }}
- {{ printf "--meta=web_concurrency.%s=%v" $name $service.config.webConcurrency | quote }}
{{- end }}
{{- end }}
{{- if and $capacity $budget }}
{{- /* The same for every service (checks.yaml): the conditions of the run. */}}
- {{ printf "--label=web_concurrency=%v" $budget.config.webConcurrency | quote }}
- {{ printf "--label=db_pool_size=%v" $budget.config.dbPoolSize | quote }}
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
The least time the run needs, in seconds, after its waits for the services and the workers:
closed-loop, every service x scenario x (warm-up + window); capacity, every round x service x
scenario x (probe warm-up + window, then at most max-steps x (settle + window)).
checks.yaml refuses a shorter run deadline.
*/}}
{{- define "bench.runSeconds" -}}
{{- $run := .Values.locust.run }}
{{- $options := $run.options }}
{{- $services := include "bench.enabledServices" . | fromJsonArray | len }}
{{- $scenario := get $options "scenario" | default (list "demo" "demo-hit" "idle") }}
{{- $scenarios := ternary (len $scenario) 1 (kindIs "slice" $scenario) }}
{{- $waits := add (ternary (int $run.waitTimeoutSeconds) 0 $run.waitForTargets) (get $options "expect-workers-max-wait" | default 300 | int) }}
{{- if eq $run.runner "capacity" }}
{{- $window := get $options "window" | default 10 | int }}
{{- $step := add (get $options "settle" | default 2 | int) $window }}
{{- $search := add (get $options "warmup" | default 5 | int) $window (mul (get $options "max-steps" | default 12 | int) $step) }}
{{- add $waits (mul (get $options "repeats" | default 3 | int) $services $scenarios $search) }}
{{- else }}
{{- $window := add (get $options "warmup" | default 10 | int) (get $options "duration" | default 30 | int) }}
{{- add $waits (mul $services $scenarios $window) }}
{{- end }}
{{- end }}
