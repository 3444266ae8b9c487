/**
 * The CustomResourceDefinition a cluster with CloudNativePG installed serves for
 * `clusters.postgresql.cnpg.io` (trimmed schema; the scale subresource as in
 * cloudnative-pg config/crd/bases/postgresql.cnpg.io_clusters.yaml).
 */
import type { KubeObject } from './types.js';

export function cnpgClusterCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'clusters.postgresql.cnpg.io', annotations: { 'controller-gen.kubebuilder.io/version': 'v0.16.5' } },
    spec: {
      group: 'postgresql.cnpg.io',
      names: { kind: 'Cluster', listKind: 'ClusterList', plural: 'clusters', singular: 'cluster' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: { specReplicasPath: '.spec.instances', statusReplicasPath: '.status.instances', labelSelectorPath: '.status.selector' },
          },
          additionalPrinterColumns: [
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            { name: 'Instances', type: 'integer', jsonPath: '.status.instances', description: 'Number of instances' },
            { name: 'Ready', type: 'integer', jsonPath: '.status.readyInstances', description: 'Number of ready instances' },
            { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'Cluster current status' },
            { name: 'Primary', type: 'string', jsonPath: '.status.currentPrimary', description: 'Primary pod' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['metadata', 'spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  'x-kubernetes-preserve-unknown-fields': true,
                  properties: { instances: { type: 'integer', minimum: 1, default: 1, description: 'Number of instances required in the cluster' } },
                },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
    status: {
      acceptedNames: { kind: 'Cluster', listKind: 'ClusterList', plural: 'clusters', singular: 'cluster' },
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
      storedVersions: ['v1'],
    },
  };
}

/**
 * KEDA's `scaledobjects.keda.sh` (trimmed schema of keda config/crd/bases/keda.sh_scaledobjects.yaml:
 * scaleTargetRef and triggers required, the replica counts int32; no scale subresource).
 */
export function kedaScaledObjectCrd(): KubeObject {
  const names = { kind: 'ScaledObject', listKind: 'ScaledObjectList', plural: 'scaledobjects', shortNames: ['so'], singular: 'scaledobject' };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'scaledobjects.keda.sh', annotations: { 'controller-gen.kubebuilder.io/version': 'v0.21.0' } },
    spec: {
      group: 'keda.sh',
      names,
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'ScaleTargetName', type: 'string', jsonPath: '.spec.scaleTargetRef.name' },
            { name: 'Min', type: 'integer', jsonPath: '.spec.minReplicaCount' },
            { name: 'Max', type: 'integer', jsonPath: '.spec.maxReplicaCount' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  required: ['scaleTargetRef', 'triggers'],
                  'x-kubernetes-preserve-unknown-fields': true,
                  properties: {
                    minReplicaCount: { type: 'integer', format: 'int32' },
                    maxReplicaCount: { type: 'integer', format: 'int32' },
                    scaleTargetRef: { type: 'object', required: ['name'], 'x-kubernetes-preserve-unknown-fields': true },
                    triggers: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                  },
                },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
    status: {
      acceptedNames: names,
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
      storedVersions: ['v1alpha1'],
    },
  };
}
