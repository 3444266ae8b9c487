/**
 * UTF-8 label names (Alertmanager ≥ 0.27, Prometheus 3: OpenTelemetry's `service.name`): rules
 * match them with quoted names as Alertmanager writes them, and templates reference them as Go
 * templates do (`{{ index $labels "service.name" }}`), with the same checks on what is substituted.
 */
import { parseMatcher } from '../../../src/rule-table/matchers.js';
import { renderValue, templateRefs, validateTemplate } from '../../../src/rule-table/templates.js';

describe('matchers with UTF-8 label names', () => {
  test.each<[string, string, Record<string, string>, boolean]>([
    ['"service.name"="checkout"', 'service.name="checkout"', { 'service.name': 'checkout' }, true],
    ['"service.name"="checkout"', 'service.name="checkout"', { service_name: 'checkout' }, false],
    ['"k8s.pod.name"=~"api-.*"', 'k8s.pod.name=~"api-.*"', { 'k8s.pod.name': 'api-1' }, true],
    ['"ünïcödé"!="x"', 'ünïcödé!="x"', { 'ünïcödé': 'y' }, true],
  ])('%s', (text, _display, labels, matches) => {
    const r = parseMatcher(text);
    if (!r.ok) throw new Error(r.error);
    expect(r.matcher.matches(labels[r.matcher.name])).toBe(matches);
    expect(r.matcher.text).toBe(text.replace(/^"([^"]+)"/, '"$1"'));
  });

  test.each([
    ['""="x"', 'column 1: a label name cannot be empty'],
    ['"service.name="x"', 'column 16: expected an operator (=, !=, =~ or !~) after the label name "service.name=", found "x"'],
    ['"open=x', 'column 1: the opening double quote of the label name is never closed'],
    ['service.name="x"', 'column 8: expected an operator (=, !=, =~ or !~) after the label name "service", found "."'],
  ])('%s is refused: %s', (text, error) => {
    expect(parseMatcher(text)).toEqual({ ok: false, error });
  });
});

describe('templates referencing UTF-8 label names', () => {
  const data = { labels: { 'service.name': 'checkout', namespace: 'shop', 'evil.name': 'a"} or vector(1) #' } };

  test('index $labels "name" renders the value and is named as written', () => {
    expect(renderValue('{{ index $labels "service.name" }}', data, 'name')).toEqual({ ok: true, value: 'checkout' });
    expect(templateRefs('{{ index $labels "service.name" }}-{{ $labels.namespace }}')).toEqual(['index $labels "service.name"', '$labels.namespace']);
    expect(renderValue('{{ index $annotations "runbook.url" }}', data, 'text')).toEqual({ ok: false, reason: 'template-missing-label', missing: 'index $annotations "runbook.url"', message: 'the alert has no index $annotations "runbook.url"' });
  });

  test('the label-injection defences hold for such names: a value cannot close a query string or steer a name', () => {
    expect(renderValue('up{service="{{ index $labels "evil.name" }}"}', data, 'promql')).toMatchObject({ ok: false, reason: 'template-invalid-value' });
    expect(renderValue('{{ index $labels "evil.name" }}', data, 'name')).toMatchObject({ ok: false, reason: 'template-invalid-value' });
    expect(validateTemplate('up{service={{ index $labels "service.name" }}}', 'promql')).toEqual([
      'column 12: in a query, put the template inside a quoted string (e.g. namespace="{{ $labels.namespace }}") so that a label value cannot change the query',
    ]);
  });

  test.each(['{{ index $labels service.name }}', '{{ index $labels "" }}', '{{ index .Labels "x" }}', '{{ index $labels "a" "b" }}'])('%s is refused at load', (t) => {
    expect(validateTemplate(t, 'text')).toHaveLength(1);
  });
});
