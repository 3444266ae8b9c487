{{/*
Names, labels and the checks that refuse a values combination that cannot work.
*/}}

{{- define "autoremediator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release name when it contains the chart name, else <release>-<chart>; at most 63 characters. */}}
{{- define "autoremediator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "autoremediator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "autoremediator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "autoremediator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "autoremediator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "autoremediator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "autoremediator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: name the existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "autoremediator.authSecret" -}}
{{- default (include "autoremediator.fullname" .) .Values.auth.existingSecret }}
{{- end }}

{{- define "autoremediator.rulesConfigMap" -}}
{{- default (printf "%s-rules" (include "autoremediator.fullname" .)) .Values.rules.existingConfigMap }}
{{- end }}

{{/*
The one list of allowed namespaces, validated: ALLOWED_NAMESPACES and the per-namespace RBAC are
both made from it. Fails naming the value and the entry.
*/}}
{{- define "autoremediator.allowedNamespaces" -}}
{{- $list := .Values.allowedNamespaces | default list }}
{{- if and (has "*" $list) (gt (len $list) 1) }}
{{- fail "allowedNamespaces: \"*\" (every namespace) cannot be combined with namespace names" }}
{{- end }}
{{- if and (has "*" $list) (eq .Values.rbac.scope "namespaces") }}
{{- fail "allowedNamespaces: [\"*\"] needs rbac.scope=cluster; rbac.scope=namespaces binds the role in each listed namespace, so list them" }}
{{- end }}
{{- if and (eq (len $list) 0) (eq .Values.rbac.scope "namespaces") }}
{{- fail "allowedNamespaces is empty: rbac.scope=namespaces needs at least one namespace" }}
{{- end }}
{{- if ne (len $list) (len (uniq $list)) }}
{{- fail (printf "allowedNamespaces: a namespace is listed twice: %s" (join ", " $list)) }}
{{- end }}
{{- join "," $list }}
{{- end }}

{{/*
What the service sends to the Kubernetes API, no more: test/integration/kube/rbac.test.ts runs
every action against the sandbox and compares the requests with these rules, in both directions.

  get, patch     apps deployments, statefulsets      read targets; annotations, container
                                                      resources, rollout restart / undo
  get, update    apps deployments/scale,              the scale subresource (read, then write
                 statefulsets/scale                   with the read resourceVersion)
  get, list      apps replicasets                     revisions for rollout undo and readiness; a
                                                      pod's ReplicaSet → Deployment (target.from: Pod)
  get            "" pods                              the pod an alert names → its controller (target.from: Pod)
  get            "" services                          the redis action's Service → its cluster IP (never a label)
  list           "" resourcequotas                    guards.quota: the namespace's quotas (guards.capacity
                                                      needs list on nodes and pods cluster-wide: not granted here)
  get, patch     postgresql.cnpg.io clusters          read the CloudNativePG Cluster; annotation
  get, update    postgresql.cnpg.io clusters/scale    add or remove database instances
  get, list,     autoscaling horizontalpodautoscalers find the HPA of a workload; min/max; the HPA
  patch                                               an alert names → scaleTargetRef (target.from)
  create         "" events                            an Event per transition on the target

Every request is namespaced (the target's namespace), so a Role per namespace suffices. API
discovery (GET /api, /apis/*) needs no rule: the built-in ClusterRole system:discovery grants it
to every authenticated identity.
*/}}
{{- define "autoremediator.rbacRules" -}}
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets"]
  verbs: ["get", "patch"]
- apiGroups: ["apps"]
  resources: ["deployments/scale", "statefulsets/scale"]
  verbs: ["get", "update"]
- apiGroups: ["apps"]
  resources: ["replicasets"]
  verbs: ["get", "list"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get"]
# guards.quota: the namespace's ResourceQuotas (status.hard/used).
- apiGroups: [""]
  resources: ["resourcequotas"]
  verbs: ["list"]
{{- if .Values.rbac.cloudNativePG }}
- apiGroups: ["postgresql.cnpg.io"]
  resources: ["clusters"]
  verbs: ["get", "patch"]
- apiGroups: ["postgresql.cnpg.io"]
  resources: ["clusters/scale"]
  verbs: ["get", "update"]
{{- end }}
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "patch"]
{{- if .Values.rbac.keda }}
- apiGroups: ["keda.sh"]
  resources: ["scaledobjects"]
  verbs: ["get", "patch"]
{{- end }}
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}

{{/*
How the validation queries reach Prometheus (config.prometheus), checked: at most one credential,
TLS options only for an https:// URL, nothing without a URL, one CA source. Each failure names the
values. Outputs nothing.
*/}}
{{- define "autoremediator.prometheusChecks" -}}
{{- $p := .Values.config.prometheus | default dict }}
{{- $url := .Values.config.prometheusUrl | default "" }}
{{- $creds := list }}
{{- if ($p.bearerToken | default dict).existingSecret }}{{ $creds = append $creds "config.prometheus.bearerToken.existingSecret" }}{{ end }}
{{- if ($p.serviceAccountToken | default dict).enabled }}{{ $creds = append $creds "config.prometheus.serviceAccountToken.enabled" }}{{ end }}
{{- if ($p.basicAuth | default dict).existingSecret }}{{ $creds = append $creds "config.prometheus.basicAuth.existingSecret" }}{{ end }}
{{- if gt (len $creds) 1 }}
{{- fail (printf "%s: set at most one Prometheus credential" (join ", " $creds)) }}
{{- end }}
{{- $tls := $p.tls | default dict }}
{{- $tlsSet := list }}
{{- if $tls.caConfigMap }}{{ $tlsSet = append $tlsSet "config.prometheus.tls.caConfigMap" }}{{ end }}
{{- if $tls.caSecret }}{{ $tlsSet = append $tlsSet "config.prometheus.tls.caSecret" }}{{ end }}
{{- if and $tls.caConfigMap $tls.caSecret }}
{{- fail "config.prometheus.tls.caConfigMap, config.prometheus.tls.caSecret: name the CA bundle's ConfigMap or its Secret, not both" }}
{{- end }}
{{- if $tls.insecureSkipVerify }}{{ $tlsSet = append $tlsSet "config.prometheus.tls.insecureSkipVerify" }}{{ end }}
{{- $all := concat $creds $tlsSet }}
{{- if $p.headers }}{{ $all = append $all "config.prometheus.headers" }}{{ end }}
{{- if and (gt (len $all) 0) (not $url) }}
{{- fail (printf "%s: set without config.prometheusUrl, so there is no Prometheus to apply them to" (join ", " $all)) }}
{{- end }}
{{- if and (gt (len $tlsSet) 0) (hasPrefix "http://" $url) }}
{{- fail (printf "%s: apply to https:// only, but config.prometheusUrl is %s" (join ", " $tlsSet) $url) }}
{{- end }}
{{- range $name, $_ := $p.headers }}
{{- if eq (lower $name) "authorization" }}
{{- fail (printf "config.prometheus.headers.%s: set by config.prometheus.bearerToken, serviceAccountToken or basicAuth only" $name) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Where the Prometheus credentials and CA are mounted in the container. */}}
{{- define "autoremediator.prometheusTokenDir" -}}/var/run/secrets/autoremediator/prometheus-token{{- end }}
{{- define "autoremediator.prometheusCaDir" -}}/etc/autoremediator/prometheus-ca{{- end }}

{{/* The PROMETHEUS_* environment variables of config.prometheus (after autoremediator.prometheusChecks). */}}
{{- define "autoremediator.prometheusEnv" -}}
{{- $p := .Values.config.prometheus | default dict }}
{{- $tls := $p.tls | default dict }}
{{- if or ($p.bearerToken | default dict).existingSecret ($p.serviceAccountToken | default dict).enabled }}
# Read again whenever the kubelet updates it (a rotated token, a changed Secret).
- name: PROMETHEUS_BEARER_TOKEN_FILE
  value: {{ include "autoremediator.prometheusTokenDir" . }}/token
{{- end }}
{{- with ($p.basicAuth | default dict).existingSecret }}
- name: PROMETHEUS_BASIC_AUTH
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $p.basicAuth.key }}
{{- end }}
{{- if or $tls.caConfigMap $tls.caSecret }}
- name: PROMETHEUS_CA_FILE
  value: {{ include "autoremediator.prometheusCaDir" . }}/ca.crt
{{- end }}
{{- if $tls.insecureSkipVerify }}
- name: PROMETHEUS_INSECURE_SKIP_VERIFY
  value: "true"
{{- end }}
{{- if $p.headers }}
{{- $pairs := list }}
{{- range $name, $value := $p.headers }}{{ $pairs = append $pairs (printf "%s=%s" $name $value) }}{{ end }}
- name: PROMETHEUS_HEADERS
  value: {{ join "," $pairs | quote }}
{{- end }}
{{- end }}

{{/* Volume mounts of config.prometheus (the token file, the CA bundle). */}}
{{- define "autoremediator.prometheusVolumeMounts" -}}
{{- $p := .Values.config.prometheus | default dict }}
{{- $tls := $p.tls | default dict }}
{{- if or ($p.bearerToken | default dict).existingSecret ($p.serviceAccountToken | default dict).enabled }}
- name: prometheus-token
  mountPath: {{ include "autoremediator.prometheusTokenDir" . }}
  readOnly: true
{{- end }}
{{- if or $tls.caConfigMap $tls.caSecret }}
- name: prometheus-ca
  mountPath: {{ include "autoremediator.prometheusCaDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{/* Volumes of config.prometheus: the whole volume, never a subPath (a subPath mount never sees updates). */}}
{{- define "autoremediator.prometheusVolumes" -}}
{{- $p := .Values.config.prometheus | default dict }}
{{- $tls := $p.tls | default dict }}
{{- $sa := $p.serviceAccountToken | default dict }}
{{- with ($p.bearerToken | default dict).existingSecret }}
- name: prometheus-token
  secret:
    secretName: {{ . }}
    items:
      - key: {{ $p.bearerToken.key }}
        path: token
{{- end }}
{{- if $sa.enabled }}
- name: prometheus-token
  projected:
    sources:
      - serviceAccountToken:
          {{- with $sa.audience }}
          audience: {{ . | quote }}
          {{- end }}
          expirationSeconds: {{ $sa.expirationSeconds | default 3600 | int }}
          path: token
{{- end }}
{{- with $tls.caConfigMap }}
- name: prometheus-ca
  configMap:
    name: {{ . }}
    items:
      - key: {{ $tls.caKey }}
        path: ca.crt
{{- end }}
{{- with $tls.caSecret }}
- name: prometheus-ca
  secret:
    secretName: {{ . }}
    items:
      - key: {{ $tls.caKey }}
        path: ca.crt
{{- end }}
{{- end }}
