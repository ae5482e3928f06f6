{{/*
service.name is the workload's name: the release name, which the
ApplicationSet sets to the app's directory name. It must be a DNS-1035 label.
*/}}
{{- define "service.name" -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$" .Release.Name) -}}
{{- fail (printf "release name %q must be a DNS-1035 label (lower-case letters, digits and '-', at most 63)" .Release.Name) -}}
{{- end -}}
{{- .Release.Name -}}
{{- end -}}

{{/* service.selectorLabels select the app's pods; they never change. */}}
{{- define "service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "service.name" . }}
app.kubernetes.io/instance: {{ include "service.name" . }}
{{- end -}}

{{/* service.labels go on every object. */}}
{{- define "service.labels" -}}
{{ include "service.selectorLabels" . }}
app.kubernetes.io/part-of: centuria
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/*
service.image is the image reference: repository@digest, or repository:tag
when image.allowTag is set and no digest is given.
*/}}
{{- define "service.image" -}}
{{- $i := .Values.image -}}
{{- if not $i.repository -}}
{{- fail "image.repository is required" -}}
{{- end -}}
{{- if $i.digest -}}
{{- printf "%s@%s" $i.repository $i.digest -}}
{{- else if and $i.allowTag $i.tag -}}
{{- printf "%s:%s" $i.repository $i.tag -}}
{{- else -}}
{{- fail "image.digest is required (sha256:...); set image.allowTag and image.tag to deploy by tag" -}}
{{- end -}}
{{- end -}}

{{/* service.serviceAccountName names the pods' service account. */}}
{{- define "service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- include "service.name" . -}}
{{- else -}}
default
{{- end -}}
{{- end -}}

{{/* service.configChecksum changes whenever the mounted config does. */}}
{{- define "service.configChecksum" -}}
{{- .Values.config.content | sha256sum -}}
{{- end -}}

{{/* service.podSecurityContext runs every pod as the nonroot user 65532. */}}
{{- define "service.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* service.containerSecurityContext locks a container down. */}}
{{- define "service.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
service.env is the container environment shared by the workload and the
migrations job: pod identity, OpenTelemetry, the database URL, plain and
secret variables. Keys are sorted so renders are stable.
*/}}
{{- define "service.env" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- with .Values.otel }}
{{- if .enabled }}
- name: OTEL_SERVICE_NAME
  value: {{ include "service.name" $ | quote }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ .protocol | quote }}
{{- $attrs := list "service.namespace=centuria" "k8s.pod.name=$(POD_NAME)" "k8s.namespace.name=$(POD_NAMESPACE)" }}
{{- range $k := keys .resourceAttributes | sortAlpha }}
{{- $attrs = append $attrs (printf "%s=%s" $k (get $.Values.otel.resourceAttributes $k)) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attrs | quote }}
{{- else }}
- name: OTEL_SDK_DISABLED
  value: "true"
{{- end }}
{{- end }}
- name: SHUTDOWN_DELAY
  value: {{ .Values.shutdown.delay | quote }}
- name: SHUTDOWN_TIMEOUT
  value: {{ .Values.shutdown.timeout | quote }}
{{- if .Values.database.enabled }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.secretName | default (printf "%s-database" (include "service.name" .)) }}
      key: {{ .Values.database.secretKey }}
{{- end }}
{{- range $k := keys .Values.env | sortAlpha }}
- name: {{ $k }}
  value: {{ get $.Values.env $k | quote }}
{{- end }}
{{- range .Values.secretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}
{{- end -}}

{{/* service.volumeMounts: a writable /tmp and the optional config file. */}}
{{- define "service.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.config.content }}
- name: config
  mountPath: {{ .Values.config.mountPath }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* service.volumes back service.volumeMounts. */}}
{{- define "service.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if .Values.config.content }}
- name: config
  configMap:
    name: {{ include "service.name" . }}
    items:
      - key: {{ .Values.config.fileName }}
        path: {{ .Values.config.fileName }}
{{- end }}
{{- end -}}

{{/* service.probe renders one HTTP probe on the admin port. */}}
{{- define "service.probe" -}}
httpGet:
  path: {{ .probe.path }}
  port: admin
initialDelaySeconds: {{ .probe.initialDelaySeconds }}
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end -}}

{{/* service.scheduling: node selector and tolerations, when set. */}}
{{- define "service.scheduling" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
service.meshPodAnnotations and service.meshPodLabels opt the workload into
the selected mesh. Linkerd: inject the proxy and accept only authenticated
(mTLS) traffic unless the service is an edge service. Istio: the sidecar
label; mTLS is enforced by the PeerAuthentication.
*/}}
{{- define "service.meshPodAnnotations" -}}
{{- if eq .Values.mesh "linkerd" }}
linkerd.io/inject: enabled
config.linkerd.io/default-inbound-policy: {{ ternary "all-unauthenticated" "all-authenticated" .Values.edge }}
{{- end }}
{{- end -}}

{{- define "service.meshPodLabels" -}}
{{- if eq .Values.mesh "istio" }}
sidecar.istio.io/inject: "true"
{{- end }}
{{- end -}}

{{/*
service.noMeshPod keeps every mesh away from a pod (jobs must exit, and a
sidecar would keep them running), whatever the namespace default is.
*/}}
{{- define "service.noMeshPodAnnotations" -}}
linkerd.io/inject: disabled
sidecar.istio.io/inject: "false"
{{- end -}}
{{- define "service.noMeshPodLabels" -}}
sidecar.istio.io/inject: "false"
{{- end -}}
