/** The notifier's queue: one worker, FIFO, drop-oldest when full, drain with a deadline; and the LRU map of threads. */
import { DeliveryQueue } from '../../../src/notify/delivery-queue.js';
import { LruMap } from '../../../src/notify/lru.js';

function harness(capacity: number, handle: (n: number) => Promise<void> = () => Promise.resolve()) {
  const handled: number[] = [];
  const dropped: Array<[number, string]> = [];
  const lengths: number[] = [];
  const errors: number[] = [];
  const q = new DeliveryQueue<number>(
    capacity,
    async (n) => {
      handled.push(n);
      await handle(n);
    },
    { onDrop: (n, reason) => dropped.push([n, reason]), onLength: (l) => lengths.push(l), onError: (n) => errors.push(n) },
  );
  return { q, handled, dropped, lengths, errors };
}

const gate = () => {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
};

describe('DeliveryQueue', () => {
  test('handles items one at a time, in order', async () => {
    let running = 0;
    let most = 0;
    const h = harness(10, async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
    });
    for (let i = 1; i <= 5; i++) h.q.push(i);
    expect(await h.q.drain(1000)).toBe(true);
    expect(h.handled).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(1);
  });

  test('push returns before any work starts', () => {
    const h = harness(10);
    h.q.push(1);
    expect(h.handled).toEqual([]);
    expect(h.q.pending).toBe(1);
  });

  test('when full, the oldest waiting item is dropped and reported', async () => {
    const g = gate();
    const h = harness(2, (n) => (n === 1 ? g.p : Promise.resolve()));
    h.q.push(1);
    await new Promise((r) => setImmediate(r)); // the worker takes 1 and waits on the gate
    for (let i = 2; i <= 5; i++) h.q.push(i);
    expect(h.dropped).toEqual([[2, 'queue_full'], [3, 'queue_full']]);
    expect(h.q.length).toBe(2);
    g.open();
    expect(await h.q.drain(1000)).toBe(true);
    expect(h.handled).toEqual([1, 4, 5]);
    expect(h.lengths[h.lengths.length - 1]).toBe(0);
  });

  test('a throwing handler is reported and the worker goes on', async () => {
    const h = harness(10, (n) => (n === 2 ? Promise.reject(new Error('bad')) : Promise.resolve()));
    for (let i = 1; i <= 3; i++) h.q.push(i);
    expect(await h.q.drain(1000)).toBe(true);
    expect(h.handled).toEqual([1, 2, 3]);
    expect(h.errors).toEqual([2]);
  });

  test('drain times out, drops what still waits, and refuses new items', async () => {
    const g = gate();
    const h = harness(10, (n) => (n === 1 ? g.p : Promise.resolve()));
    h.q.push(1);
    h.q.push(2);
    await new Promise((r) => setImmediate(r));
    const started = Date.now();
    expect(await h.q.drain(30)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(h.dropped).toEqual([[2, 'shutdown']]);
    h.q.push(3);
    expect(h.dropped).toEqual([[2, 'shutdown'], [3, 'shutdown']]);
    g.open();
  });

  test('drain of an idle queue is immediate', async () => {
    expect(await harness(1).q.drain(0)).toBe(true);
  });

  test('capacity must be positive', () => {
    expect(() => harness(0)).toThrow(/capacity/);
  });
});

describe('LruMap', () => {
  test('forgets the least recently used entry; get refreshes', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1); // a is now the most recent
    m.set('c', 3);
    expect(m.get('b')).toBeUndefined();
    expect(m.get('a')).toBe(1);
    expect(m.get('c')).toBe(3);
    expect(m.size).toBe(2);
    expect(m.delete('a')).toBe(true);
    expect(m.get('a')).toBeUndefined();
  });
});
