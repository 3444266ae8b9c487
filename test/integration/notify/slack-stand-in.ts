/**
 * A local HTTP server standing in for Slack, on 127.0.0.1 with an ephemeral
 * port. It records every request and answers as Slack does: an incoming
 * webhook says `ok`; chat.postMessage returns a channel id and a new `ts`;
 * chat.update echoes them. Scripted answers (429 with Retry-After, 500,
 * 200 ok:false, no answer at all) are used first, in order.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The fields of a Slack payload the tests look at. */
export interface SlackBody {
  channel?: string;
  ts?: string;
  thread_ts?: string;
  text?: string;
  blocks?: Array<{ type: string; text?: { text: string } }>;
  reply_broadcast?: boolean;
  [key: string]: unknown;
}

export interface Recorded {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The parsed JSON body ({} when it was not JSON). */
  body: SlackBody;
  raw: string;
  /** The status answered (0 while hanging). */
  status: number;
  /** The channel id and ts a chat.postMessage was answered with. */
  posted: { channel: string; ts: string } | null;
  at: number;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string | Record<string, unknown> } | { hang: true };

export class SlackStandIn {
  readonly requests: Recorded[] = [];
  private readonly scripted: Answer[] = [];
  private readonly channelIds = new Map<string, string>();
  private ts = 0;
  /** Answer nothing to every request (an outage that holds connections open). */
  hangAll = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<SlackStandIn> {
    const holder: { standIn?: SlackStandIn } = {};
    const server = createServer((req, res) => void holder.standIn?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.standIn = new SlackStandIn(server, `http://127.0.0.1:${port}`);
    return holder.standIn;
  }

  /** Answers for the next requests, in order; then the default behaviour again. */
  script(...answers: Answer[]): void {
    this.scripted.push(...answers);
  }

  /** Requests to one path suffix (`chat.postMessage`, `chat.update`, or a webhook path). */
  to(suffix: string): Recorded[] {
    return this.requests.filter((r) => r.path.endsWith(suffix));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: SlackBody = {};
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === 'object' && parsed !== null) body = parsed as SlackBody;
    } catch {
      body = {};
    }
    const path = req.url ?? '';
    const next = this.scripted.shift();
    const answer: Answer = this.hangAll ? { hang: true } : (next ?? this.defaultAnswer(path, body));
    const rec: Recorded = { method: req.method ?? '', path, authorization: req.headers.authorization, contentType: req.headers['content-type'], body, raw, status: 0, posted: null, at: Date.now() };
    this.requests.push(rec);
    if ('hang' in answer) return;
    rec.status = answer.status;
    const b = answer.body;
    if (typeof b === 'object' && typeof b.ts === 'string' && typeof b.channel === 'string' && path.endsWith('/chat.postMessage')) rec.posted = { channel: b.channel, ts: b.ts };
    const json = typeof answer.body === 'object';
    const text = json ? JSON.stringify(answer.body) : (answer.body ?? '');
    res.writeHead(answer.status, { 'content-type': json ? 'application/json' : 'text/plain', ...(answer.headers ?? {}) });
    res.end(text);
  }

  private defaultAnswer(path: string, body: SlackBody): Answer {
    if (path.endsWith('/chat.postMessage')) {
      const name = body.channel ?? '';
      let id = this.channelIds.get(name);
      if (!id) {
        id = name.startsWith('C') ? name : `C${String(this.channelIds.size + 1).padStart(4, '0')}`;
        this.channelIds.set(name, id);
      }
      const ts = `1764331200.${String(++this.ts).padStart(6, '0')}`;
      return { status: 200, body: { ok: true, channel: id, ts, message: { text: body.text } } };
    }
    if (path.endsWith('/chat.update')) return { status: 200, body: { ok: true, channel: body.channel, ts: body.ts } };
    return { status: 200, body: 'ok' };
  }
}
