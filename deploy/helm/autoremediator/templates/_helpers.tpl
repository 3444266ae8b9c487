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
