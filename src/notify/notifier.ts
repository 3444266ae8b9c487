import type { RemediationListener } from '../domain/remediation.js';
import type { SlackBlock } from './blocks.js';

/**
 * Tells people what autoremediator did and why. Implementations never block the
 * remediation and never throw into it: every method only queues.
 */
export interface Notifier extends RemediationListener {
  /**
   * Announce something that is not a remediation transition, e.g. "breaker
   * opened for ci/deployment/api". `text` is Slack mrkdwn: escape data taken
   * from alerts with `escapeMrkdwn`. `channel` applies in bot mode only.
   */
  announce(text: string, blocks?: SlackBlock[], channel?: string): void;
  /** Stop taking messages and send what is queued, for at most `timeoutMs`; true when everything was sent. */
  drain(timeoutMs: number): Promise<boolean>;
}
