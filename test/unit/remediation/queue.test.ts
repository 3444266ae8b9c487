import { BoundedQueue } from '../../../src/remediation/queue.js';

/** A queue whose single worker holds every item until `finish` is called. */
function heldQueue(capacity: number) {
  const handled: string[] = [];
  const pending: Array<() => void> = [];
  const queue = new BoundedQueue<string>(
    capacity,
    1,
    (item) =>
      new Promise<void>((resolve) => {
        handled.push(item);
        pending.push(resolve);
      }),
    () => undefined,
  );
  return { queue, handled, finishOne: () => pending.shift()?.() };
}

describe('BoundedQueue.reserve', () => {
  test('reserved room counts as taken until it is filled or released', () => {
    const { queue } = heldQueue(3);
    const room = queue.reserve(2);
    expect(room).not.toBeNull();
    expect(queue.hasRoom(1)).toBe(true);
    expect(queue.hasRoom(2)).toBe(false);
    expect(queue.reserve(2)).toBeNull();
    room!.release();
    expect(queue.hasRoom(3)).toBe(true);
  });

  test('fill enqueues the items (fewer than reserved gives the rest back) and the workers take them', () => {
    const { queue, handled } = heldQueue(3);
    const room = queue.reserve(3)!;
    expect(room.fill(['a', 'b'])).toBe(true);
    // 'a' runs on the one worker, 'b' waits: 1 waiting of 3, nothing reserved.
    expect(handled).toEqual(['a']);
    expect(queue.depth).toBe(2);
    expect(queue.hasRoom(2)).toBe(true);
    expect(queue.hasRoom(3)).toBe(false);
  });

  test('a reservation is used once, and never for more items than it holds', () => {
    const { queue } = heldQueue(5);
    const room = queue.reserve(1)!;
    expect(() => room.fill(['a', 'b'])).toThrow(/2 items for a reservation of 1/);
    const other = queue.reserve(1)!;
    other.fill(['c']);
    expect(() => other.fill(['d'])).toThrow(/once/);
    other.release(); // no effect after fill
    expect(queue.hasRoom(4)).toBe(true);
  });

  test('a reservation of nothing is always granted, even in a full or draining queue', async () => {
    const { queue, handled, finishOne } = heldQueue(1);
    expect(queue.offer(['running'])).toBe(true);
    expect(queue.offer(['waiting'])).toBe(true);
    expect(queue.hasRoom(1)).toBe(false);
    expect(queue.reserve(0)!.fill([])).toBe(true);
    const drained = queue.drain(1000);
    expect(queue.reserve(1)).toBeNull();
    expect(queue.reserve(0)!.fill([])).toBe(true);
    finishOne();
    while (handled.length < 2) await new Promise((r) => setTimeout(r, 0)); // the waiting item starts
    finishOne();
    await expect(drained).resolves.toBe(true);
  });

  test('after drain has begun, fill stores nothing in the queue and says so', async () => {
    const { queue, finishOne } = heldQueue(3);
    const room = queue.reserve(1)!;
    queue.offer(['running']);
    const drained = queue.drain(1000);
    expect(room.fill(['late'])).toBe(false);
    finishOne();
    await expect(drained).resolves.toBe(true);
    expect(queue.depth).toBe(0);
  });
});
