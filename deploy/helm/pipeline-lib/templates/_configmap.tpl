{{/* Non-secret configuration, as the environment variables of the service's config schema. */}}
{{- define "pipeline-lib.configData" -}}
OTEL_SERVICE_NAME: {{ include "pipeline-lib.name" . | quote }}
{{- with .Values.otel.endpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
{{- if not .Values.otel.enabled }}
OTEL_SDK_DISABLED: "true"
{{- end }}
LOG_LEVEL: {{ .Values.logLevel | quote }}
{{- if .Values.app.hostEnv }}
{{ .Values.app.hostEnv }}: "0.0.0.0"
{{- end }}
{{- if .Values.app.portEnv }}
{{ .Values.app.portEnv }}: {{ .Values.app.port | toString | quote }}
{{- end }}
{{- if .Values.app.usesKafka }}
KAFKA_BROKERS: {{ .Values.kafka.brokers | quote }}
KAFKA_TOPIC_PREFIX: {{ .Values.kafka.topicPrefix | quote }}
KAFKA_TOPIC_PARTITIONS: {{ .Values.kafka.partitions | toString | quote }}
KAFKA_TOPIC_AUX_PARTITIONS: {{ .Values.kafka.auxPartitions | toString | quote }}
KAFKA_REPLICATION_FACTOR: {{ .Values.kafka.replicationFactor | toString | quote }}
{{- if .Values.kafka.tls.enabled }}
KAFKA_SSL: "true"
{{- if .Values.kafka.tls.caSecret }}
KAFKA_SSL_CA_FILE: {{ printf "/etc/kafka-ca/%s" .Values.kafka.tls.caKey | quote }}
{{- end }}
{{- end }}
{{- if .Values.kafka.sasl.mechanism }}
KAFKA_SASL_MECHANISM: {{ .Values.kafka.sasl.mechanism | quote }}
KAFKA_SASL_USERNAME: {{ .Values.kafka.sasl.username | quote }}
{{- end }}
{{- end }}
{{- range .Values.secrets.files }}
{{ .env }}: {{ printf "/etc/secrets/%s" .key | quote }}
{{- end }}
{{- range .Values.configFiles }}
{{ .env }}: {{ printf "/etc/config/%s" .name | quote }}
{{- end }}
{{- range $key, $value := .Values.config }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{- define "pipeline-lib.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "pipeline-lib.fullname" . }}
  labels:
    {{- include "pipeline-lib.labels" . | nindent 4 }}
data:
  {{- include "pipeline-lib.configData" . | nindent 2 }}
{{- if .Values.configFiles }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "pipeline-lib.fullname" . }}-files
  labels:
    {{- include "pipeline-lib.labels" . | nindent 4 }}
data:
  {{- range .Values.configFiles }}
  {{ .name }}: {{ .content | quote }}
  {{- end }}
{{- end }}
{{- end -}}
