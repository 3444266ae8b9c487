import { createMatcher, formatMatcher, parseMatcher } from '../../../src/rule-table/matchers.js';

describe('parseMatcher: valid matchers', () => {
  test.each([
    // the plain equality form
    ['alertname="HighPodCPU"', 'alertname', '=', 'HighPodCPU', 'alertname="HighPodCPU"'],
    // regex with alternation
    ['severity=~"warning|critical"', 'severity', '=~', 'warning|critical', 'severity=~"warning|critical"'],
    // negative equality
    ['service!="x"', 'service', '!=', 'x', 'service!="x"'],
    // negative regex
    ['namespace!~"kube-.*"', 'namespace', '!~', 'kube-.*', 'namespace!~"kube-.*"'],
    // unquoted value, as Alertmanager's newer parser accepts
    ['alertname=HighPodCPU', 'alertname', '=', 'HighPodCPU', 'alertname="HighPodCPU"'],
    // unquoted regex value (| is not reserved)
    ['severity=~warning|critical', 'severity', '=~', 'warning|critical', 'severity=~"warning|critical"'],
    // whitespace around the parts is allowed
    ['  foo  =  "bar"  ', 'foo', '=', 'bar', 'foo="bar"'],
    // empty quoted value
    ['foo=""', 'foo', '=', '', 'foo=""'],
    // escaped double quote
    ['foo="a\\"b"', 'foo', '=', 'a"b', 'foo="a\\"b"'],
    // escaped backslash
    ['foo="a\\\\b"', 'foo', '=', 'a\\b', 'foo="a\\\\b"'],
    // \n becomes a newline
    ['foo="a\\nb"', 'foo', '=', 'a\nb', 'foo="a\\nb"'],
    // any other escape is kept as written (Alertmanager classic parser), so regex escapes work
    ['instance=~"10\\.0\\..*"', 'instance', '=~', '10\\.0\\..*', 'instance=~"10\\\\.0\\\\..*"'],
    // label names may start with an underscore and contain digits
    ['_x9="1"', '_x9', '=', '1', '_x9="1"'],
    // commas, braces and spaces are fine inside quotes
    ['msg="a, {b} c"', 'msg', '=', 'a, {b} c', 'msg="a, {b} c"'],
    // unicode values
    ['team="équipe"', 'team', '=', 'équipe', 'team="équipe"'],
  ])('%s', (input, name, op, value, text) => {
    const r = parseMatcher(input);
    if (!r.ok) throw new Error(r.error);
    expect({ name: r.matcher.name, op: r.matcher.op, value: r.matcher.value, text: r.matcher.text }).toEqual({ name, op, value, text });
  });

  test('the normalised text parses back to the same matcher', () => {
    for (const input of ['foo="a\\"b\\\\c\\nd"', 'instance=~"10\\.0\\..*"', 'x!~"[\\"]"']) {
      const first = parseMatcher(input);
      if (!first.ok) throw new Error(first.error);
      const again = parseMatcher(first.matcher.text);
      if (!again.ok) throw new Error(again.error);
      expect(again.matcher.value).toBe(first.matcher.value);
    }
  });
});

describe('parseMatcher: invalid matchers name what and where', () => {
  test.each([
    // nothing at all
    ['', 'empty'],
    // only spaces
    ['   ', 'empty'],
    // label name starting with a digit
    ['9foo="x"', 'column 1: expected a label name'],
    // a dash is not allowed in label names, so the operator is missing where the dash is
    ['foo-bar="x"', 'column 4: expected an operator'],
    // no operator at all
    ['alertname', 'column 10: expected an operator'],
    // == is not an operator
    ['foo=="x"', 'column 4: "==" is not an operator'],
    // operator but no value
    ['foo=', 'column 5: expected a value after "="'],
    // unterminated quote
    ['foo="bar', 'column 5: the opening double quote of the value is never closed'],
    // single quotes are not Alertmanager syntax
    ["foo='bar'", 'column 5: quote values with double quotes'],
    // two matchers in one string
    ['a="1",b="2"', 'column 6: one matcher per list item'],
    // two matchers in one string, unquoted
    ['a=1,b=2', 'column 4: one matcher per list item'],
    // braces (amtool / PromQL selector style)
    ['{alertname="x"}', 'column 1: write one matcher per list item, without braces'],
    // garbage after the closing quote
    ['foo="bar"baz', 'column 10: unexpected "b" after the value'],
    // a quote inside an unquoted value
    ['foo=ba"r"', 'column 7: "\\"" cannot appear in an unquoted value'],
    // space inside an unquoted value
    ['foo=bar baz', 'column 9: unexpected "b" after the value'],
    // invalid regex: the column points at the value
    ['severity=~"warn("', 'column 11: invalid regular expression: missing closing )'],
    // Perl lookahead is not RE2
    ['x=~"a(?=b)"', 'column 4: invalid regular expression'],
    // backreference is not RE2
    ['x!~"(a)\\1"', 'column 4: invalid regular expression'],
    // a value that would break out of the anchoring group is rejected
    ['x=~"a)|(b"', 'column 4: invalid regular expression'],
  ])('%j', (input, expected) => {
    const r = parseMatcher(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(expected);
  });
});

describe('Matcher.matches: Alertmanager semantics', () => {
  test.each([
    // equality
    ['alertname="HighPodCPU"', 'HighPodCPU', true],
    // equality is case-sensitive
    ['alertname="HighPodCPU"', 'highpodcpu', false],
    // a missing label is the empty string: foo="" matches
    ['foo=""', undefined, true],
    // a missing label is the empty string: foo="x" does not match
    ['foo="x"', undefined, false],
    // a missing label is the empty string: foo!="x" matches
    ['foo!="x"', undefined, true],
    // != against the same value
    ['service!="x"', 'x', false],
    // != against another value
    ['service!="x"', 'y', true],
    // regexes are anchored: "warn" must not match "warning"
    ['severity=~"warn"', 'warning', false],
    // anchored at the start too
    ['severity=~"ning"', 'warning', false],
    // alternation matches either whole value
    ['severity=~"warning|critical"', 'critical', true],
    // alternation is anchored as a whole (^(?:a|b)$, not ^a|b$)
    ['severity=~"warning|critical"', 'xcritical', false],
    // a missing label matches a regex that accepts the empty string
    ['foo=~".*"', undefined, true],
    // a missing label does not match a regex that needs a character
    ['foo=~".+"', undefined, false],
    // !~ excludes the matching values
    ['namespace!~"kube-.*"', 'kube-system', false],
    // !~ keeps the others
    ['namespace!~"kube-.*"', 'ci', true],
    // !~ with a missing label: "" does not match kube-.*, so the matcher holds
    ['namespace!~"kube-.*"', undefined, true],
    // . does not match a newline (Go RE2 default, as in Alertmanager)
    ['msg=~".*"', 'a\nb', false],
    // escaped dot in a regex is a literal dot
    ['instance=~"10\\.0\\..*"', '10.0.3.4', true],
    // ... and does not match another character
    ['instance=~"10\\.0\\..*"', '10x0.3.4', false],
    // RE2 case-insensitive flag
    ['severity=~"(?i)WARNING"', 'warning', true],
    // unicode in values
    ['team=~"é+"', 'éé', true],
  ])('%s against %j → %s', (input, labelValue, expected) => {
    const r = parseMatcher(input);
    if (!r.ok) throw new Error(r.error);
    expect(r.matcher.matches(labelValue)).toBe(expected);
  });

  test('a catastrophic-backtracking pattern runs in linear time (RE2) and gives the right answer', () => {
    const input = 'a'.repeat(50_000) + '!';
    const eq = parseMatcher('x=~"(a+)+$"');
    const ne = parseMatcher('x!~"(a+)+$"');
    if (!eq.ok || !ne.ok) throw new Error('parse');
    expect(eq.matcher.matches(input)).toBe(false);
    expect(ne.matcher.matches(input)).toBe(true);
    expect(eq.matcher.matches('a'.repeat(50_000))).toBe(true);
  });
});

describe('createMatcher / formatMatcher', () => {
  test('createMatcher builds the same matcher as parsing its text', () => {
    const m = createMatcher('severity', '=~', 'warning|critical');
    expect(m.text).toBe('severity=~"warning|critical"');
    expect(m.matches('critical')).toBe(true);
    expect(m.matches('info')).toBe(false);
  });

  test('createMatcher throws on an invalid regex (a programming error)', () => {
    expect(() => createMatcher('x', '=~', '(')).toThrow(/invalid regular expression/);
  });

  test('formatMatcher escapes backslash, quote and newline', () => {
    expect(formatMatcher('a', '=', 'x"y\\z\nw')).toBe('a="x\\"y\\\\z\\nw"');
  });
});
