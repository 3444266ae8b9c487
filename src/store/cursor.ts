/** Thrown when a `cursor` passed to a list method was not made by that list. */
export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super(`invalid cursor ${JSON.stringify(cursor.slice(0, 80))}`);
    this.name = 'InvalidCursorError';
  }
}

/** Position after an item in a (time desc, id desc) list. */
export interface CursorPosition {
  atMs: number;
  id: string;
}

/** Opaque to callers: base64url of `[ms, id]`. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.getTime(), id]), 'utf8').toString('base64url');
}

/** Decodes a cursor made by encodeCursor; throws InvalidCursorError otherwise. */
export function decodeCursor(cursor: string): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'number' ||
    !Number.isSafeInteger(parsed[0]) ||
    typeof parsed[1] !== 'string'
  ) {
    throw new InvalidCursorError(cursor);
  }
  return { atMs: parsed[0], id: parsed[1] };
}

/**
 * Cut `rows` (fetched with limit + 1, newest first) to a page: when there was one
 * row more than asked for, the page ends with a cursor after its last item.
 */
export function toPage<T>(rows: T[], limit: number, position: (item: T) => { at: Date; id: string }): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  const last = position(items[items.length - 1]!);
  return { items, nextCursor: encodeCursor(last.at, last.id) };
}
