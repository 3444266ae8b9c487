import { expiryFromBody, pauseBodySchema, pauseVerdict, scopeKey, subjectFromBody, subjectOf, type Pause, type PauseSubject } from '../../../src/control/pause.js';

const NOW = new Date('2026-12-06T02:00:00Z');
const at = (s: number): Date => new Date(NOW.getTime() + s * 1000);

function pause(id: string, subject: PauseSubject, over: Partial<Pause> = {}): Pause {
  return { id, subject, scopeKey: scopeKey(subject), actor: 'alice', reason: 'db failover', at: at(-600), expiresAt: null, endedAt: null, endedBy: null, ...over };
}

const api = { namespace: 'ci', kind: 'Deployment', name: 'api' };
const GLOBAL = pause('g', { scope: 'global' });
const NS_CI = pause('n', { scope: 'namespace', namespace: 'ci' });
const NS_PROD = pause('np', { scope: 'namespace', namespace: 'prod' });
const TARGET_API = pause('t', { scope: 'target', namespace: 'ci', kind: 'deployment', name: 'api' });
const TARGET_WEB = pause('tw', { scope: 'target', namespace: 'ci', kind: 'deployment', name: 'web' });
const RULE = pause('r', { scope: 'rule', rule: 'scale-api' });

describe('pauseVerdict: which pause holds a decision of (rule, target) at now', () => {
  test.each<[string, Pause[], { rule: string; target: typeof api | null }, string | null]>([
    ['no pauses', [], { rule: 'scale-api', target: api }, null],
    ['global holds everything', [GLOBAL], { rule: 'any', target: api }, 'g'],
    ['global holds even without a rendered target', [GLOBAL], { rule: 'any', target: null }, 'g'],
    ['namespace pause, same namespace', [NS_CI], { rule: 'any', target: api }, 'n'],
    ['namespace pause, other namespace', [NS_PROD], { rule: 'any', target: api }, null],
    ['namespace pause, no target', [NS_CI], { rule: 'any', target: null }, null],
    // the kind is compared lower-cased, as target keys are
    ['target pause, same target (kind case ignored)', [TARGET_API], { rule: 'any', target: api }, 't'],
    ['target pause, other target', [TARGET_WEB], { rule: 'any', target: api }, null],
    ['rule pause, same rule', [RULE], { rule: 'scale-api', target: api }, 'r'],
    ['rule pause, other rule', [RULE], { rule: 'scale-web', target: api }, null],
    ['expired pause', [pause('x', { scope: 'global' }, { expiresAt: at(-1) })], { rule: 'any', target: api }, null],
    ['expiry exactly now: over', [pause('x', { scope: 'global' }, { expiresAt: at(0) })], { rule: 'any', target: api }, null],
    ['expiry in the future', [pause('x', { scope: 'global' }, { expiresAt: at(1) })], { rule: 'any', target: api }, 'x'],
    ['ended pause', [pause('x', { scope: 'global' }, { endedAt: at(-5), endedBy: 'bob' })], { rule: 'any', target: api }, null],
    // several hold: the one that ends last is named (open-ended beats any expiry)
    ['several: the open-ended one is named', [pause('soon', { scope: 'global' }, { expiresAt: at(60) }), NS_CI], { rule: 'any', target: api }, 'n'],
    ['several: the later expiry is named', [pause('a', { scope: 'global' }, { expiresAt: at(60) }), pause('b', { scope: 'rule', rule: 'scale-api' }, { expiresAt: at(600) })], { rule: 'scale-api', target: api }, 'b'],
  ])('%s', (_name, pauses, d, expected) => {
    const v = pauseVerdict(pauses, d, NOW);
    expect(v?.pause.id ?? null).toBe(expected);
  });

  test('the explanation names who, what, why, since and until', () => {
    const v = pauseVerdict([pause('x', { scope: 'namespace', namespace: 'ci' }, { expiresAt: at(3600) })], { rule: 'r', target: api }, NOW);
    expect(v!.explanation).toBe('Paused: alice paused namespace ci at 2026-12-06T01:50:00.000Z ("db failover"), until 2026-12-06T03:00:00.000Z; nothing was done.');
    const open = pauseVerdict([GLOBAL, RULE], { rule: 'scale-api', target: api }, NOW);
    expect(open!.explanation).toMatch(/until someone resumes it \(DELETE \/api\/v1\/pause or `autoremediator resume`\) \(1 more pause also hold/);
    expect(open!.all.map((p) => p.id)).toEqual(['g', 'r']);
  });
});

describe('scope keys', () => {
  test.each<PauseSubject>([{ scope: 'global' }, { scope: 'namespace', namespace: 'ci' }, { scope: 'target', namespace: 'ci', kind: 'deployment', name: 'api.v2' }, { scope: 'rule', rule: 'scale-api' }])('%j round-trips', (s) => {
    expect(subjectOf(scopeKey(s))).toEqual(s);
  });
});

describe('the pause body (POST/DELETE /api/v1/pause)', () => {
  test.each<[string, unknown, string | null]>([
    ['global', { scope: 'global', reason: 'incident' }, null],
    ['target', { scope: 'target', namespace: 'ci', kind: 'Deployment', name: 'api', reason: 'x', expiresIn: '2h' }, null],
    ['rule with expiresAt', { scope: 'rule', rule: 'scale-api', reason: 'x', expiresAt: '2026-12-06T05:00:00+01:00' }, null],
    ['namespace without namespace', { scope: 'namespace', reason: 'x' }, 'namespace'],
    ['global with a stray rule', { scope: 'global', rule: 'scale-api', reason: 'x' }, 'rule'],
    ['target without kind', { scope: 'target', namespace: 'ci', name: 'api', reason: 'x' }, 'kind'],
    ['unknown scope', { scope: 'cluster', reason: 'x' }, 'scope'],
    ['bad duration', { scope: 'global', reason: 'x', expiresIn: 'soon' }, 'expiresIn'],
    ['both expiries', { scope: 'global', reason: 'x', expiresIn: '1h', expiresAt: '2026-12-06T05:00:00Z' }, 'expiresIn'],
    ['blank reason', { scope: 'global', reason: '   ' }, 'reason'],
    ['unknown field', { scope: 'global', reason: 'x', until: 'monday' }, ''],
    ['bad namespace', { scope: 'namespace', namespace: 'CI!', reason: 'x' }, 'namespace'],
  ])('%s', (_name, body, field) => {
    const r = pauseBodySchema.safeParse(body);
    if (field === null) {
      expect(r.success).toBe(true);
      return;
    }
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join('.')).toBe(field);
  });

  test('the subject lower-cases the kind; the expiry is from now or absolute, and must be in the future', () => {
    const b = pauseBodySchema.parse({ scope: 'target', namespace: 'ci', kind: 'Deployment', name: 'api', reason: 'x', expiresIn: '90m' });
    expect(subjectFromBody(b)).toEqual({ scope: 'target', namespace: 'ci', kind: 'deployment', name: 'api' });
    expect(expiryFromBody(b, NOW)).toEqual(at(5400));
    expect(expiryFromBody(pauseBodySchema.parse({ scope: 'global', reason: 'x' }), NOW)).toBeNull();
    expect(() => expiryFromBody(pauseBodySchema.parse({ scope: 'global', reason: 'x', expiresAt: '2026-12-06T01:00:00Z' }), NOW)).toThrow(/not in the future/);
  });
});
