/**
 * The seed: the objects a sandbox cluster starts with, read from a multi-document
 * YAML file (by default `seed/reference.yaml`, the reference workload).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { isRecord, type KubeObject } from './types.js';

/**
 * Where the reference seed is: beside this module under `src/` (tsx, jest) or
 * `dist/src/sandbox/` (the build copies it there), under `dist/src/sandbox/seed/`
 * from the bundle `dist/autoremediator.mjs`, or back in the source tree.
 */
export function referenceSeedPath(): string {
  const candidates = ['./seed/reference.yaml', './src/sandbox/seed/reference.yaml', '../../../src/sandbox/seed/reference.yaml'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

/**
 * Reads a seed file (default: the reference workload) and returns its objects.
 * Throws an Error naming the file and the document when one is not a Kubernetes object.
 */
export function loadSeed(path: string = referenceSeedPath()): KubeObject[] {
  const text = readFileSync(path, 'utf8');
  const objects: KubeObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${path}: document ${i + 1}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (!isRecord(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !isRecord(value.metadata) || typeof value.metadata.name !== 'string') {
      throw new Error(`${path}: document ${i + 1}: not a Kubernetes object (apiVersion, kind and metadata.name are required)`);
    }
    objects.push(value as KubeObject);
  });
  return objects;
}
