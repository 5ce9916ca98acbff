{{- /*
The runner's wiring, in one place: what the run Job (run-job.yaml) passes to the comparison's
runner, and what the umbrella checks about it (checks.yaml). Everything here is derived from the
enabled services' own values (services/<name>/values.yaml), so that no list of targets, stacks
or CPU budgets is kept twice.

Today's runner is `python -m loadtest run` (loadtest/README.md, "run"): a fixed number of
closed-loop users per service and scenario, one warm-up and one window each. When the
capacity-at-SLO runner lands, this file is the one to change: its command goes into
locust.run.command (values), its options into locust.run.options, and the arguments below that
it names differently (the targets, the per-service CPU source) change here, in
"bench.runArgs" and "bench.runSeconds".
*/ -}}

{{/*
The run's arguments after locust.run.command, as a YAML list of strings.
*/}}
{{- define "bench.runArgs" -}}
{{- $locust := .Values.locust }}
{{- $workers := $locust.workers }}
{{- range $alias := include "bench.enabledServices" . | fromJsonArray }}
{{- $service := index $.Values $alias }}
{{- $name := include "bench.serviceName" (list $ $alias) }}
- {{ printf "--target=%s=%s" $name (include "bench.serviceUrl" (list $ $alias)) | quote }}
{{- /* The report names each service's stack, as `nox -s bench` does. */}}
- {{ printf "--meta=stack.%s=%s" $name $service.stack | quote }}
{{- /* Each service's CPU budget and worker processes: the denominator of req/s per core. */}}
- {{ printf "--meta=cpu_limit.%s=%v" $name $service.resources.limits.cpu | quote }}
- {{ printf "--meta=web_concurrency.%s=%v" $name $service.config.webConcurrency | quote }}
{{- end }}
{{- include "locust.options" $locust.run.options }}
{{- range $key, $value := $locust.run.meta }}
- {{ printf "--meta=%s=%s" $key (include "locust.scalar" $value) | quote }}
{{- end }}
- {{ printf "--meta=run=%s" $locust.run.id | quote }}
- {{ printf "--meta=chart=%s" (include "bench.chart" .) | quote }}
- {{ printf "--meta=image_tag=%s" .Values.global.imageTag | quote }}
{{- with .Values.global.zone }}
- {{ printf "--meta=zone=%s" . | quote }}
{{- end }}
{{- /* The load generators' CPU: how many workers, what each may use, and the master's. */}}
- {{ printf "--meta=workers=%d" (int $workers.replicas) | quote }}
- {{ printf "--meta=worker_cpu_limit=%v" $workers.resources.limits.cpu | quote }}
- {{ printf "--meta=master_cpu_limit=%v" $locust.run.resources.limits.cpu | quote }}
- {{ printf "--expect-workers=%d" (int $workers.replicas) | quote }}
- {{ printf "--master-bind-port=%d" (int $locust.masterPort) | quote }}
{{- end }}

{{/*
The least time the run needs, in seconds: every service x scenario x (warm-up + window), after
the waits for the services and the workers. checks.yaml refuses a shorter run deadline.
*/}}
{{- define "bench.runSeconds" -}}
{{- $run := .Values.locust.run }}
{{- $options := $run.options }}
{{- $services := include "bench.enabledServices" . | fromJsonArray | len }}
{{- $scenario := get $options "scenario" | default (list "demo" "demo-hit" "idle") }}
{{- $scenarios := ternary (len $scenario) 1 (kindIs "slice" $scenario) }}
{{- $window := add (get $options "warmup" | default 10 | int) (get $options "duration" | default 30 | int) }}
{{- $waits := add (ternary (int $run.waitTimeoutSeconds) 0 $run.waitForTargets) (get $options "expect-workers-max-wait" | default 300 | int) }}
{{- add $waits (mul $services $scenarios $window) }}
{{- end }}
