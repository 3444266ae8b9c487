import { RecentReads } from '../../../src/actions/kind.js';

const read = { replicas: 2, resourceVersion: '41', hpa: false };

describe('RecentReads', () => {
  test('a read is taken once, and only while fresh', () => {
    const r = new RecentReads(2000);
    r.put('ci/deployment/a', read, 10_000);
    expect(r.take('ci/deployment/a', 11_999)).toEqual(read);
    expect(r.take('ci/deployment/a', 11_999)).toBeNull();
    r.put('ci/deployment/a', read, 10_000);
    expect(r.take('ci/deployment/a', 12_001)).toBeNull();
  });

  test('a clock that stepped back does not make an old read look fresh', () => {
    const r = new RecentReads(2000);
    r.put('k', read, 10_000);
    expect(r.take('k', 9_000)).toBeNull();
  });

  test('bounded: a storm over many targets keeps the fresh ones', () => {
    const r = new RecentReads(2000);
    for (let i = 0; i < 999; i++) r.put(`old-${i}`, read, 0);
    r.put('fresh', read, 5_000);
    r.put('fresher', read, 5_001);
    expect(r.take('old-1', 5_001)).toBeNull();
    expect(r.take('fresh', 5_001)).toEqual(read);
    expect(r.take('fresher', 5_001)).toEqual(read);
  });
});
