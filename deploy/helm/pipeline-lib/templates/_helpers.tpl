{{/* Name of the service (values app.name), e.g. "ingest". */}}
{{- define "pipeline-lib.name" -}}
{{- .Values.app.name | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name: the release name if it contains the service name, else release-service. */}}
{{- define "pipeline-lib.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "pipeline-lib.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "pipeline-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pipeline-lib.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pipeline-lib.labels" -}}
{{ include "pipeline-lib.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .Values.app.component | default "service" }}
app.kubernetes.io/part-of: claude-pipeline
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "pipeline-lib.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "pipeline-lib.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "pipeline-lib.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* Name of a topic of the catalog: <prefix>.<suffix> (e.g. "pipeline" + "jobs"). */}}
{{- define "pipeline-lib.topic" -}}
{{- printf "%s.%s" .root.Values.kafka.topicPrefix .suffix -}}
{{- end -}}

{{/* Consumer group of the service: values autoscaling.consumerGroup or <prefix>.<name>. */}}
{{- define "pipeline-lib.consumerGroup" -}}
{{- .Values.autoscaling.consumerGroup | default (printf "%s.%s" .Values.kafka.topicPrefix (include "pipeline-lib.name" .)) -}}
{{- end -}}

{{/* Fails the render on settings that would break the service. */}}
{{- define "pipeline-lib.validate" -}}
{{- $grace := int .Values.terminationGracePeriodSeconds -}}
{{- $drain := int .Values.app.shutdownTimeoutSeconds -}}
{{- if le $grace $drain -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be longer than app.shutdownTimeoutSeconds (%d)" $grace $drain) -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (eq .Values.autoscaling.mode "keda") -}}
{{- if gt (int .Values.autoscaling.maxReplicas) (int .Values.kafka.partitions) -}}
{{- fail (printf "autoscaling.maxReplicas (%d) exceeds the partitions of the consumed topics (kafka.partitions %d): extra consumers would idle" (int .Values.autoscaling.maxReplicas) (int .Values.kafka.partitions)) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.kafka.sasl.mechanism (not .Values.kafka.sasl.existingSecret) -}}
{{- fail "kafka.sasl.mechanism is set: kafka.sasl.existingSecret (a Secret holding the password) is required" -}}
{{- end -}}
{{- range $key, $value := .Values.config -}}
{{- if regexMatch "(SECRET|PASSWORD|API_KEY|TOKEN)" $key -}}
{{- if not (hasSuffix "_FILE" $key) -}}
{{- fail (printf "config.%s looks like a secret: put it in the existing Secret (secrets.env) instead" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
