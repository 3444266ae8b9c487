// The in-process lock behind withTargetLock: order, independence of keys, and no leak of idle keys.
import { KeyedMutex } from '../../../src/store/keyed-mutex.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('KeyedMutex', () => {
  test('forgets a key once nobody holds or waits for it, also after a throw', async () => {
    const m = new KeyedMutex();
    const held = m.run('a', async () => {
      await tick();
      return 1;
    });
    const waiting = m.run('a', () => Promise.reject(new Error('boom')));
    const other = m.run('b', () => Promise.resolve(2));
    expect(m.size).toBe(2);
    await expect(held).resolves.toBe(1);
    await expect(waiting).rejects.toThrow('boom');
    await expect(other).resolves.toBe(2);
    expect(m.size).toBe(0);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => m.run(`key-${i}`, () => Promise.resolve(i))));
    expect(m.size).toBe(0);
  });

  test('a later caller waits for the holder even when it arrives while the holder is finishing', async () => {
    const m = new KeyedMutex();
    const events: string[] = [];
    const first = m.run('k', async () => {
      events.push('1 in');
      await tick();
      events.push('1 out');
    });
    await tick();
    const second = m.run('k', () => {
      events.push('2 in');
      return Promise.resolve();
    });
    await Promise.all([first, second]);
    expect(events).toEqual(['1 in', '1 out', '2 in']);
    expect(m.size).toBe(0);
  });
});
