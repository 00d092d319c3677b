{{- include "pipeline-lib.all" . }}
