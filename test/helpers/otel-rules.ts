/**
 * A rule on OpenTelemetry-style UTF-8 label names, as Alertmanager ≥ 0.27 delivers them: a quoted
 * matcher on `service.name` and templates with `index $labels "…"`.
 */
export const OTEL_RULES = `rules:
  - name: otel-queue-consumers
    matchers:
      - alertname="QueueBacklog"
      - '"service.name"="ci-failure-agent-consumer"'
    target:
      apiVersion: apps/v1
      kind: Deployment
      namespace: "{{ index $labels \\"k8s.namespace.name\\" }}"
      name: '{{ index $labels "service.name" }}'
    action: { type: scale, maxReplicas: 6 }
`;
