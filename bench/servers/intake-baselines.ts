/**
 * The two intake baselines, each run in its own process by bench/intake.ts:
 *   bare     node:http: read the body, JSON.parse it, answer 202
 *   express  express 5 + the project's zod webhook schema (src/http/webhook-schema.ts,
 *            the default limits), answer 202 — the same validation autoremediator does,
 *            without authentication, storage or a queue.
 * Prints `READY <port>` once listening on 127.0.0.1; exits on SIGTERM.
 */
import { createServer, type Server } from 'node:http';
import express from 'express';
import { webhookSchema } from '../../src/http/webhook-schema.js';

const LIMITS = { maxAlertsPerNotification: 10_000, maxLabelsPerAlert: 128 };
const MAX_BODY = 1024 * 1024;

function bare(): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      let body: { alerts?: unknown[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alerts?: unknown[] };
      } catch {
        res.writeHead(400).end();
        return;
      }
      const text = JSON.stringify({ accepted: Array.isArray(body.alerts) ? body.alerts.length : 0 });
      res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
    });
  });
}

function expressZod(): Server {
  const schema = webhookSchema(LIMITS);
  const app = express();
  app.disable('x-powered-by');
  app.post('/api/v1/alerts', express.json({ limit: MAX_BODY }), (req, res) => {
    const parsed = schema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.issues[0]?.message });
      return;
    }
    res.status(202).json({ accepted: parsed.data.alerts.length });
  });
  return createServer(app);
}

const kind = process.argv[2];
const server = kind === 'bare' ? bare() : kind === 'express' ? expressZod() : null;
if (!server) {
  process.stderr.write('usage: intake-baselines.ts bare|express\n');
  process.exit(2);
}
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
