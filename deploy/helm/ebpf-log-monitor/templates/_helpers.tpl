{{- define "ebpf-log-monitor.labels" -}}
app.kubernetes.io/name: ebpf-log-monitor
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
{{- define "ebpf-log-monitor.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
