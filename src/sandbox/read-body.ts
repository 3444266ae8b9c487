/** Request bodies for the sandbox's HTTP servers, read up to a limit. */
import type { IncomingMessage } from 'node:http';

/** The body as UTF-8, or null when it is longer than `limit` bytes (the rest is drained, not kept). */
export function readBoundedBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
