import {
  renderTarget,
  renderTemplate,
  renderValue,
  templateRefs,
  validateTemplate,
} from '../../../src/rule-table/templates.js';
import { checkValue, isApiVersion, isDns1123Label, isDns1123Subdomain, isKind, isRedisAddress } from '../../../src/rule-table/values.js';

const data = {
  labels: { namespace: 'ci', service: 'ci-failure-agent', instance: '10.0.0.7:6379', empty: '' },
  annotations: { summary: 'queue is deep' },
};

describe('renderTemplate', () => {
  test.each([
    // a literal renders as itself
    ['ci', 'ci'],
    // one label
    ['{{ $labels.namespace }}', 'ci'],
    // whitespace inside the braces is optional
    ['{{$labels.namespace}}', 'ci'],
    // more whitespace, tabs included
    ['{{ \t $labels.namespace \t }}', 'ci'],
    // literal text around references
    ['{{ $labels.service }}-db', 'ci-failure-agent-db'],
    // several references
    ['{{ $labels.namespace }}/{{ $labels.service }}', 'ci/ci-failure-agent'],
    // annotations
    ['{{ $annotations.summary }}', 'queue is deep'],
    // a lone closing brace pair is literal text
    ['a}}b', 'a}}b'],
  ])('%j → %j', (text, expected) => {
    expect(renderTemplate(text, data)).toEqual({ ok: true, value: expected });
  });

  test.each([
    // a label the alert lacks
    ['{{ $labels.pod }}', '$labels.pod'],
    // an annotation the alert lacks
    ['{{ $annotations.runbook_url }}', '$annotations.runbook_url'],
    // the first missing reference is named
    ['{{ $labels.a }}{{ $labels.b }}', '$labels.a'],
    // an empty label value counts as missing (Prometheus treats "" as absent)
    ['{{ $labels.empty }}', '$labels.empty'],
    // inherited object properties are not labels
    ['{{ $labels.constructor }}', '$labels.constructor'],
  ])('%j → missing %s', (text, missing) => {
    expect(renderTemplate(text, data)).toEqual({ ok: false, missing });
  });

  test('annotations may be absent altogether', () => {
    expect(renderTemplate('{{ $annotations.summary }}', { labels: {} })).toEqual({ ok: false, missing: '$annotations.summary' });
  });

  test('an invalid template throws (it is checked at load time)', () => {
    expect(() => renderTemplate('{{ .Labels.x }}', data)).toThrow(/invalid template/);
  });
});

describe('validateTemplate: only value substitution is allowed', () => {
  test.each([
    // Go template field syntax
    ['{{ .Labels.namespace }}', 'column 1'],
    // a pipe
    ['{{ $labels.namespace | toUpper }}', 'not allowed'],
    // a function call
    ['{{ printf "%s" $labels.x }}', 'not allowed'],
    // a conditional
    ['{{ if $labels.x }}a', 'not allowed'],
    // $value is not a label
    ['{{ $value }}', 'not allowed'],
    // nested access
    ['{{ $labels.a.b }}', 'not allowed'],
    // a label name with a dash is not a label name
    ['{{ $labels.pod-name }}', 'not allowed'],
    // trim markers are Go template syntax, not allowed either
    ['{{- $labels.x -}}', 'not allowed'],
    // unclosed
    ['x-{{ $labels.x', 'column 3: "{{" is never closed'],
    // empty braces
    ['{{}}', 'not allowed'],
  ])('%j', (text, expected) => {
    const errors = validateTemplate(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(expected);
  });

  test('every bad reference is reported, each with its column', () => {
    const errors = validateTemplate('{{ .A }}-{{ $labels.ok }}-{{ .B }}');
    expect(errors).toEqual([expect.stringContaining('column 1:'), expect.stringContaining('column 27:')]);
  });

  test('templateRefs lists the references in order', () => {
    expect(templateRefs('{{ $labels.a }}x{{ $annotations.b }}')).toEqual(['$labels.a', '$annotations.b']);
  });
});

describe('validateTemplate: values checked for where they go', () => {
  test.each([
    // a valid literal namespace
    ['ci', 'namespace', 0],
    // an invalid literal namespace (upper case)
    ['CI', 'namespace', 1],
    // a templated name is checked with a sample value: fine here
    ['{{ $labels.service }}-db', 'name', 0],
    // ... and can never be valid here
    ['{{ $labels.service }}/db', 'name', 1],
    // a trailing dash can never be valid
    ['{{ $labels.service }}-', 'name', 1],
    // a templated kind
    ['{{ $labels.kind }}', 'kind', 0],
    // a literal apiVersion
    ['postgresql.cnpg.io/v1', 'apiVersion', 0],
    // a bad literal apiVersion
    ['apps/v1/x', 'apiVersion', 1],
    // a templated Redis address
    ['redis://{{ $labels.instance }}', 'redis-address', 0],
    // host and port from separate labels
    ['redis://{{ $labels.host }}:{{ $labels.port }}', 'redis-address', 0],
    // credentials in the address are refused
    ['redis://user:pw@{{ $labels.instance }}', 'redis-address', 1],
    // in a query, a template inside a double-quoted string is fine
    ['rate(x{namespace="{{ $labels.namespace }}"}[5m])', 'promql', 0],
    // inside a single-quoted string too
    ["up{job='{{ $labels.job }}'}", 'promql', 0],
    // escaped quotes inside the string do not end it
    ['x{a="q\\"{{ $labels.a }}"}', 'promql', 0],
    // outside a string a label value could change the query
    ['rate(x[5m]) > {{ $labels.threshold }}', 'promql', 1],
    // after a closed string, outside again
    ['x{a="b"} > {{ $labels.t }}', 'promql', 1],
  ] as const)('%j as %s → %d error(s)', (text, kind, count) => {
    expect(validateTemplate(text, kind)).toHaveLength(count);
  });
});

describe('renderValue: rendered values must be safe tokens for their place', () => {
  test.each([
    // a path separator cannot steer the target elsewhere
    ['{{ $labels.x }}', { x: 'a/b' }, 'namespace'],
    // a parent reference
    ['{{ $labels.x }}', { x: '..' }, 'name'],
    // dots are fine in names but not in namespaces
    ['{{ $labels.x }}', { x: 'a.b' }, 'namespace'],
    // upper case
    ['{{ $labels.x }}', { x: 'Prod' }, 'namespace'],
    // longer than 63 characters
    ['{{ $labels.x }}', { x: 'a'.repeat(64) }, 'namespace'],
    // spaces
    ['{{ $labels.x }}', { x: 'a b' }, 'container'],
    // a kind with a slash
    ['{{ $labels.x }}', { x: 'Deployment/x' }, 'kind'],
    // an apiVersion with a path
    ['{{ $labels.x }}/v1', { x: 'apps/../x' }, 'apiVersion'],
    // a Redis address with a path smuggled in
    ['redis://{{ $labels.x }}', { x: '10.0.0.1:6379/0' }, 'redis-address'],
    // a Redis address pointing at credentials
    ['redis://{{ $labels.x }}', { x: 'evil@10.0.0.1' }, 'redis-address'],
    // a port out of range
    ['redis://{{ $labels.x }}', { x: 'redis:70000' }, 'redis-address'],
    // a quote closing a PromQL string
    ['x{a="{{ $labels.x }}"}', { x: 'a"} or vector(1) or x{b="' }, 'promql'],
    // a newline in a query value
    ['x{a="{{ $labels.x }}"}', { x: 'a\nb' }, 'promql'],
  ] as const)('%j with %j as %s is rejected', (text, labels, kind) => {
    const r = renderValue(text, { labels }, kind);
    expect(r).toMatchObject({ ok: false, reason: 'template-invalid-value' });
  });

  test.each([
    // a plain namespace
    ['{{ $labels.x }}', { x: 'ci' }, 'namespace', 'ci'],
    // a dotted object name
    ['{{ $labels.x }}', { x: 'a.b-c' }, 'name', 'a.b-c'],
    // an IPv4 Redis address with port
    ['redis://{{ $labels.x }}', { x: '10.0.0.7:6379' }, 'redis-address', 'redis://10.0.0.7:6379'],
    // a host name without port
    ['rediss://{{ $labels.x }}', { x: 'redis.ci.svc' }, 'redis-address', 'rediss://redis.ci.svc'],
    // an IPv6 Redis address
    ['redis://{{ $labels.x }}', { x: '[::1]:6379' }, 'redis-address', 'redis://[::1]:6379'],
    // a PromQL value without quotes
    ['x{a="{{ $labels.x }}"}', { x: 'ci-failure-agent' }, 'promql', 'x{a="ci-failure-agent"}'],
  ] as const)('%j with %j as %s → %j', (text, labels, kind, value) => {
    expect(renderValue(text, { labels }, kind)).toEqual({ ok: true, value });
  });

  test('a missing label is reported as template-missing-label', () => {
    expect(renderValue('{{ $labels.namespace }}', { labels: {} }, 'namespace')).toMatchObject({
      ok: false,
      reason: 'template-missing-label',
      missing: '$labels.namespace',
    });
  });
});

describe('renderTarget', () => {
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: '{{ $labels.namespace }}', name: '{{ $labels.service }}' };

  test('renders every field', () => {
    expect(renderTarget(target, data)).toEqual({
      ok: true,
      value: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent' },
    });
  });

  test('a missing label names the field and the reference', () => {
    expect(renderTarget(target, { labels: { service: 'x' } })).toMatchObject({
      ok: false,
      reason: 'template-missing-label',
      field: 'namespace',
      missing: '$labels.namespace',
    });
  });

  test('a label value that is not a Kubernetes name is refused with the field and value', () => {
    const r = renderTarget(target, { labels: { namespace: 'ci', service: '../kube-system' } });
    expect(r).toMatchObject({ ok: false, reason: 'template-invalid-value', field: 'name', value: '../kube-system' });
    if (!r.ok) expect(r.message).toContain('target.name: "../kube-system" is not a Kubernetes object name');
  });
});

describe('value checks', () => {
  test.each([
    // shortest label
    [isDns1123Label, 'a', true],
    // digits only are allowed
    [isDns1123Label, '123', true],
    // 63 characters
    [isDns1123Label, 'a'.repeat(63), true],
    // 64 characters
    [isDns1123Label, 'a'.repeat(64), false],
    // leading dash
    [isDns1123Label, '-a', false],
    // empty
    [isDns1123Label, '', false],
    // dotted subdomain
    [isDns1123Subdomain, 'a.b.c', true],
    // empty segment
    [isDns1123Subdomain, 'a..b', false],
    // just dots
    [isDns1123Subdomain, '..', false],
    // underscore
    [isDns1123Subdomain, 'a_b', false],
    // core apiVersion
    [isApiVersion, 'v1', true],
    // grouped apiVersion
    [isApiVersion, 'autoscaling/v2', true],
    // empty group
    [isApiVersion, '/v1', false],
    // CamelCase kind
    [isKind, 'StatefulSet', true],
    // lower-case kind
    [isKind, 'deployment', false],
    // a bare host
    [isRedisAddress, 'redis://redis', true],
    // a query string
    [isRedisAddress, 'redis://redis:6379?x=1', false],
    // another scheme
    [isRedisAddress, 'http://redis:6379', false],
  ] as const)('%p(%j) → %s', (fn, value, expected) => {
    expect(fn(value)).toBe(expected);
  });

  test('checkValue explains what was expected', () => {
    expect(checkValue('namespace', 'a/b')).toBe(
      '"a/b" is not a Kubernetes namespace name (DNS-1123 label: lower-case letters, digits and "-", at most 63)',
    );
    expect(checkValue('text', 'anything / at all')).toBeNull();
  });
});
