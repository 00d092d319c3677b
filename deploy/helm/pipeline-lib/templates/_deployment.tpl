{{- define "pipeline-lib.deployment" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "pipeline-lib.fullname" . }}
  labels:
    {{- include "pipeline-lib.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "pipeline-lib.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "pipeline-lib.labels" . | nindent 8 }}
      annotations:
        checksum/config: {{ include "pipeline-lib.configData" . | sha256sum }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ .Values.app.port | toString | quote }}
        prometheus.io/path: /metrics
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "pipeline-lib.serviceAccountName" . }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
        seccompProfile:
          type: RuntimeDefault
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "pipeline-lib.selectorLabels" . | nindent 14 }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ include "pipeline-lib.name" . }}
          image: {{ include "pipeline-lib.image" . | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.app.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "pipeline-lib.fullname" . }}
            {{- with .Values.secrets.envFromSecret }}
            # Every key of this Secret becomes a variable (names chosen by the operator, e.g.
            # webhook secrets named in ingest's sources file).
            - secretRef:
                name: {{ . }}
            {{- end }}
          {{- if or .Values.secrets.env (and .Values.app.usesKafka .Values.kafka.sasl.mechanism) }}
          env:
            {{- range .Values.secrets.env }}
            - name: {{ . }}
              valueFrom:
                secretKeyRef:
                  name: {{ required "secrets.existingSecret is required when secrets.env lists variables" $.Values.secrets.existingSecret }}
                  key: {{ . }}
            {{- end }}
            {{- if and .Values.app.usesKafka .Values.kafka.sasl.mechanism }}
            - name: KAFKA_SASL_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ .Values.kafka.sasl.existingSecret }}
                  key: {{ .Values.kafka.sasl.passwordKey }}
            {{- end }}
          {{- end }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 2
            failureThreshold: {{ .Values.probes.startupFailureThreshold }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: 5
            timeoutSeconds: {{ .Values.probes.readinessTimeoutSeconds }}
            failureThreshold: 3
          {{- if .Values.preStopSleepSeconds }}
          lifecycle:
            preStop:
              # Endpoints are removed asynchronously: keep serving while load balancers catch up.
              sleep:
                seconds: {{ .Values.preStopSleepSeconds }}
          {{- end }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            runAsNonRoot: true
            runAsUser: 1000
            runAsGroup: 1000
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            privileged: false
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if .Values.app.dataVolume }}
            - name: data
              mountPath: /var/lib/pipeline
            {{- end }}
            {{- if .Values.secrets.files }}
            - name: secret-files
              mountPath: /etc/secrets
              readOnly: true
            {{- end }}
            {{- if .Values.configFiles }}
            - name: config-files
              mountPath: /etc/config
              readOnly: true
            {{- end }}
            {{- if and .Values.app.usesKafka .Values.kafka.tls.enabled .Values.kafka.tls.caSecret }}
            - name: kafka-ca
              mountPath: /etc/kafka-ca
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- if .Values.app.dataVolume }}
        - name: data
          emptyDir:
            sizeLimit: {{ .Values.app.dataVolumeSize }}
        {{- end }}
        {{- if .Values.secrets.files }}
        - name: secret-files
          secret:
            secretName: {{ required "secrets.existingSecret is required when secrets.files lists files" .Values.secrets.existingSecret }}
            defaultMode: 0440
            items:
              {{- range .Values.secrets.files }}
              - key: {{ .key }}
                path: {{ .key }}
              {{- end }}
        {{- end }}
        {{- if .Values.configFiles }}
        - name: config-files
          configMap:
            name: {{ include "pipeline-lib.fullname" . }}-files
        {{- end }}
        {{- if and .Values.app.usesKafka .Values.kafka.tls.enabled .Values.kafka.tls.caSecret }}
        - name: kafka-ca
          secret:
            secretName: {{ .Values.kafka.tls.caSecret }}
            defaultMode: 0444
            items:
              - key: {{ .Values.kafka.tls.caKey }}
                path: {{ .Values.kafka.tls.caKey }}
        {{- end }}
{{- end -}}
