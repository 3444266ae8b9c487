/** SLACK_* variables: modes, defaults, and errors that name the variable but never echo a secret. */
import { ConfigError } from '../../../src/config/config.js';
import { DEFAULT_DELIVERY, slackConfigFromEnv } from '../../../src/notify/config.js';

const HOOK = 'https://hooks.slack.com/services/T000/B000/SeCrEtPaThXYZ';
const TOKEN = 'xoxb-1234-SeCrEtToKeN';

function problems(env: Record<string, string>): string[] {
  try {
    slackConfigFromEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('slackConfigFromEnv', () => {
  test('nothing set: no Slack', () => {
    expect(slackConfigFromEnv({})).toBeNull();
    expect(slackConfigFromEnv({ SLACK_WEBHOOK_URL: '  ', SLACK_BOT_TOKEN: '' })).toBeNull();
  });

  test('webhook mode with the default delivery settings', () => {
    expect(slackConfigFromEnv({ SLACK_WEBHOOK_URL: HOOK })).toEqual({ mode: 'webhook', webhookUrl: HOOK, delivery: DEFAULT_DELIVERY });
  });

  test('bot mode: default API base, or the one given without a trailing slash', () => {
    expect(slackConfigFromEnv({ SLACK_BOT_TOKEN: TOKEN, SLACK_CHANNEL: '#ops' })).toMatchObject({ mode: 'bot', botToken: TOKEN, channel: '#ops', apiBaseUrl: 'https://slack.com/api' });
    expect(slackConfigFromEnv({ SLACK_BOT_TOKEN: TOKEN, SLACK_CHANNEL: 'C123', SLACK_API_URL: 'http://127.0.0.1:9/api/', SLACK_ALLOW_HTTP: 'true' })).toMatchObject({
      apiBaseUrl: 'http://127.0.0.1:9/api',
    });
  });

  test('delivery settings from the environment', () => {
    const c = slackConfigFromEnv({ SLACK_WEBHOOK_URL: HOOK, SLACK_QUEUE_CAPACITY: '50', SLACK_MAX_ATTEMPTS: '2', SLACK_TIMEOUT: '3s' });
    expect(c?.delivery).toEqual({ ...DEFAULT_DELIVERY, queueCapacity: 50, maxAttempts: 2, timeoutMs: 3000 });
  });

  test.each<[string, Record<string, string>, RegExp]>([
    // bot mode needs a channel
    ['token without channel', { SLACK_BOT_TOKEN: TOKEN }, /^SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not/],
    // a channel alone means someone forgot the token
    ['channel without token', { SLACK_CHANNEL: '#ops' }, /^SLACK_CHANNEL is set but SLACK_BOT_TOKEN is not/],
    // a webhook posts where it was created: a channel is a misunderstanding
    ['webhook with channel', { SLACK_WEBHOOK_URL: HOOK, SLACK_CHANNEL: '#ops' }, /^SLACK_CHANNEL only applies with SLACK_BOT_TOKEN/],
    // one mode at a time
    ['both modes', { SLACK_WEBHOOK_URL: HOOK, SLACK_BOT_TOKEN: TOKEN, SLACK_CHANNEL: '#ops' }, /SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN, not both/],
    // http only when allowed (a local stand-in)
    ['http webhook', { SLACK_WEBHOOK_URL: 'http://hooks.example/services/SeCrEtPaThXYZ' }, /^SLACK_WEBHOOK_URL must be an https:\/\/ URL/],
    ['http API', { SLACK_BOT_TOKEN: TOKEN, SLACK_CHANNEL: '#ops', SLACK_API_URL: 'http://slack.local/api' }, /^SLACK_API_URL must be an https:\/\/ URL/],
    ['not a URL', { SLACK_WEBHOOK_URL: 'hooks.slack.com/services/SeCrEtPaThXYZ' }, /^SLACK_WEBHOOK_URL is not a valid URL$/],
    ['ftp URL even when http is allowed', { SLACK_WEBHOOK_URL: 'ftp://x/SeCrEtPaThXYZ', SLACK_ALLOW_HTTP: 'true' }, /^SLACK_WEBHOOK_URL must be an https/],
    // settings out of range
    ['bad bool', { SLACK_WEBHOOK_URL: HOOK, SLACK_ALLOW_HTTP: 'maybe' }, /^SLACK_ALLOW_HTTP must be true or false/],
    ['zero capacity', { SLACK_WEBHOOK_URL: HOOK, SLACK_QUEUE_CAPACITY: '0' }, /^SLACK_QUEUE_CAPACITY must be a whole number from 1/],
    ['too many attempts', { SLACK_WEBHOOK_URL: HOOK, SLACK_MAX_ATTEMPTS: '100' }, /^SLACK_MAX_ATTEMPTS must be a whole number from 1 to 20/],
    ['bad timeout', { SLACK_WEBHOOK_URL: HOOK, SLACK_TIMEOUT: 'ten' }, /^SLACK_TIMEOUT must be a duration/],
    ['token with a space', { SLACK_BOT_TOKEN: 'xoxb-1 SeCrEtToKeN', SLACK_CHANNEL: '#ops' }, /^SLACK_BOT_TOKEN must not contain whitespace/],
  ])('%s', (_name, env, message) => {
    const p = problems(env);
    expect(p.some((x) => message.test(x))).toBe(true);
    // the error never repeats a secret
    expect(p.join('\n')).not.toMatch(/SeCrEt/);
  });

  test('http:// is accepted with SLACK_ALLOW_HTTP=true', () => {
    expect(slackConfigFromEnv({ SLACK_WEBHOOK_URL: 'http://127.0.0.1:8080/services/x', SLACK_ALLOW_HTTP: 'true' })?.mode).toBe('webhook');
  });

  test('every problem is listed at once', () => {
    expect(problems({ SLACK_BOT_TOKEN: TOKEN, SLACK_MAX_ATTEMPTS: '0', SLACK_TIMEOUT: 'x' })).toHaveLength(3);
  });
});
