export type { Notifier } from './notifier.js';
export { SlackNotifier, type SlackNotifierDeps } from './slack-notifier.js';
export { slackConfigFromEnv, DEFAULT_DELIVERY, DEFAULT_SLACK_API_URL, type SlackConfig, type SlackDeliverySettings, type SlackMode } from './config.js';
export { createNotifyMetrics, type NotifyMetrics, type SendResult, type DropReason } from './metrics.js';
export { buildMessage, buildReply, headline, labelsThatMatter, formatChange, remediationUrl, type AlertInfo, type RuleInfo, type MessageOptions } from './message.js';
export { shouldAnnounce, channelFor, LOUD_SKIP_REASONS } from './routing.js';
export { escapeMrkdwn, type SlackBlock, type SlackMessage } from './blocks.js';
