import { newId } from '../../../src/store/ids.js';

describe('newId', () => {
  test('ids made in one millisecond and across the random pool refill are unique and sort in the order made', () => {
    const ids = Array.from({ length: 5000 }, () => newId(1_790_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^[0-9a-z]{9}-[0-9a-z]{14}$/);
  });

  test('a clock that steps back still yields ids that sort after the earlier ones', () => {
    const a = newId(1_800_000_000_000);
    const b = newId(1_799_999_999_000);
    expect(b > a).toBe(true);
  });

  test('the random part differs between ids (drawn from the pool, not reused)', () => {
    const randoms = Array.from({ length: 3000 }, () => newId().slice(-10));
    expect(new Set(randoms).size).toBe(randoms.length);
  });
});
