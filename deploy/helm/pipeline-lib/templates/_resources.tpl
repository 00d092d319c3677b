{{- define "pipeline-lib.serviceaccount" -}}
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "pipeline-lib.serviceAccountName" . }}
  labels:
    {{- include "pipeline-lib.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- end -}}

{{- define "pipeline-lib.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "pipeline-lib.fullname" . }}
  labels:
    {{- include "pipeline-lib.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  selector:
    {{- include "pipeline-lib.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .Values.service.port | default .Values.app.port }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{- define "pipeline-lib.pdb" -}}
{{- if .Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "pipeline-lib.fullname" . }}
  labels:
    {{- include "pipeline-lib.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "pipeline-lib.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/*
NetworkPolicy: ingress only to the HTTP port (from the listed peers; none listed: from anywhere,
for the public edge), egress only to DNS, Kafka, the OTLP collector and the listed extra ports.
*/}}
{{- define "pipeline-lib.networkpolicy" -}}
{{- if .Values.networkPolicy.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "pipeline-lib.fullname" . }}
  labels:
    {{- include "pipeline-lib.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "pipeline-lib.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    - ports:
        - port: http
          protocol: TCP
      {{- with .Values.networkPolicy.ingressFrom }}
      from:
        {{- toYaml . | nindent 8 }}
      {{- end }}
  egress:
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    {{- if .Values.app.usesKafka }}
    - ports:
        {{- range .Values.networkPolicy.kafkaPorts }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
      {{- with .Values.networkPolicy.kafkaPeers }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- if .Values.otel.enabled }}
    - ports:
        - port: {{ .Values.networkPolicy.otlpPort }}
          protocol: TCP
      {{- with .Values.networkPolicy.otlpPeers }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- with .Values.networkPolicy.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
{{- end -}}

{{/* KEDA's name of a SASL mechanism: plain -> plaintext, scram-sha-512 -> scram_sha512. */}}
{{- define "pipeline-lib.kedaSasl" -}}
{{- if eq . "plain" -}}plaintext{{- else -}}{{- . | replace "scram-sha-" "scram_sha" -}}{{- end -}}
{{- end -}}

{{/* KEDA ScaledObject: one kafka trigger per consumed topic, on the service's consumer group. */}}
{{- define "pipeline-lib.scaledobject" -}}
{{- if and .Values.autoscaling.enabled (eq .Values.autoscaling.mode "keda") }}
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ include "pipeline-lib.fullname" . }}
  labels:
    {{- include "pipeline-lib.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    name: {{ include "pipeline-lib.fullname" . }}
  minReplicaCount: {{ .Values.autoscaling.minReplicas }}
  maxReplicaCount: {{ .Values.autoscaling.maxReplicas }}
  pollingInterval: {{ .Values.autoscaling.keda.pollingInterval }}
  cooldownPeriod: {{ .Values.autoscaling.keda.cooldownPeriod }}
  triggers:
    {{- range .Values.autoscaling.keda.topics }}
    - type: kafka
      metadata:
        bootstrapServers: {{ $.Values.kafka.brokers | quote }}
        consumerGroup: {{ include "pipeline-lib.consumerGroup" $ | quote }}
        topic: {{ include "pipeline-lib.topic" (dict "root" $ "suffix" .) | quote }}
        lagThreshold: {{ $.Values.autoscaling.keda.lagThreshold | toString | quote }}
        activationLagThreshold: {{ $.Values.autoscaling.keda.activationLagThreshold | toString | quote }}
        offsetResetPolicy: earliest
        allowIdleConsumers: "false"
        {{- if $.Values.kafka.tls.enabled }}
        tls: enable
        {{- end }}
        {{- if $.Values.kafka.sasl.mechanism }}
        sasl: {{ include "pipeline-lib.kedaSasl" $.Values.kafka.sasl.mechanism | quote }}
        {{- end }}
      {{- with $.Values.autoscaling.keda.authenticationRef }}
      authenticationRef:
        name: {{ . }}
      {{- end }}
    {{- end }}
{{- end }}
{{- end -}}

{{/* HPA on CPU (the HTTP edge: load is requests, not lag). */}}
{{- define "pipeline-lib.hpa" -}}
{{- if and .Values.autoscaling.enabled (eq .Values.autoscaling.mode "hpa") }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "pipeline-lib.fullname" . }}
  labels:
    {{- include "pipeline-lib.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "pipeline-lib.fullname" . }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .Values.autoscaling.hpa.targetCPUUtilizationPercentage }}
{{- end }}
{{- end -}}

{{/* Every object of a service chart; a thin chart's only template includes this. */}}
{{- define "pipeline-lib.all" -}}
{{- include "pipeline-lib.validate" . }}
{{- $docs := list
  (include "pipeline-lib.serviceaccount" .)
  (include "pipeline-lib.configmap" .)
  (include "pipeline-lib.deployment" .)
  (include "pipeline-lib.service" .)
  (include "pipeline-lib.pdb" .)
  (include "pipeline-lib.networkpolicy" .)
  (include "pipeline-lib.scaledobject" .)
  (include "pipeline-lib.hpa" .) -}}
{{- range $docs }}
{{- if trim . }}
---
{{ trim . }}
{{- end }}
{{- end }}
{{- end -}}
