import { randomFillSync } from 'node:crypto';

let lastMs = -1;
let seq = 0;

/** Random bytes drawn in blocks: one randomFillSync per 1,024 ids instead of one per id. */
const POOL = Buffer.alloc(6 * 1024);
let poolOffset = POOL.length;

function random48(): number {
  if (poolOffset + 6 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const n = POOL.readUIntBE(poolOffset, 6);
  poolOffset += 6;
  return n;
}

/**
 * A new time-ordered id: `<ms since epoch, base36, 9 chars>-<sequence, 4 chars><random, 10 chars>`,
 * e.g. `0mgx3k9q1-0000k2v8c1x0qa`. Ids made by one process sort (as strings) in the
 * order they were made, even within one millisecond or when the wall clock steps
 * back; ids from different replicas sort by millisecond and are unique by their
 * random part. Lists never rely on id order alone: they order by (time, id).
 */
export function newId(now: number = Date.now()): string {
  if (now <= lastMs) {
    seq += 1;
    if (seq >= 36 ** 4) {
      lastMs += 1;
      seq = 0;
    }
  } else {
    lastMs = now;
    seq = 0;
  }
  const random = random48().toString(36).padStart(10, '0');
  return `${lastMs.toString(36).padStart(9, '0')}-${seq.toString(36).padStart(4, '0')}${random}`;
}
