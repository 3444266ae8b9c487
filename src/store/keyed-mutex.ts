/**
 * An in-process async mutex per key: `run(key, fn)` calls for one key run one at a
 * time in call order; different keys run concurrently. A key's entry is removed as
 * soon as nobody holds or waits for it, so the map does not grow with the number of
 * keys ever used. Not re-entrant: calling run(k) from inside run(k) deadlocks.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Keys currently held or waited for. */
  get size(): number {
    return this.tails.size;
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
