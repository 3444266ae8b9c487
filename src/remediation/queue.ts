/** Room held in a BoundedQueue for items that are not there yet (see reserve). */
export interface QueueReservation<T> {
  /** Enqueue up to the reserved number of items and give back the rest; false when the queue stopped taking work. */
  fill(items: readonly T[]): boolean;
  /** Give the room back unused. */
  release(): void;
}

/**
 * A bounded FIFO of work items with a fixed number of workers. `offer` is
 * all-or-nothing so that intake can answer 503 before storing anything when the
 * queue cannot take a whole notification; `reserve` holds that room while intake
 * stores, so that concurrent notifications cannot all pass the check and then not fit.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private running = 0;
  private reserved = 0;
  private waiters: Array<() => void> = [];
  private accepting = true;

  constructor(
    readonly capacity: number,
    private readonly concurrency: number,
    private readonly handle: (item: T) => Promise<void>,
    private readonly onError: (item: T, err: unknown) => void,
    private readonly onDepth: (depth: number) => void = () => {},
  ) {}

  get depth(): number {
    return this.items.length - this.head + this.running;
  }

  /** Room for n more items right now (room reserved for others counts as taken)? */
  hasRoom(n: number): boolean {
    return this.accepting && this.items.length - this.head + this.reserved + n <= this.capacity;
  }

  /**
   * Hold room for n items, all or nothing; null when they do not fit. Nothing (n = 0) always
   * fits: a notification of duplicates only needs no room, even in a full or draining queue.
   */
  reserve(n: number): QueueReservation<T> | null {
    if (n > 0 && !this.hasRoom(n)) return null;
    this.reserved += n;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.reserved -= n;
      return true;
    };
    return {
      fill: (items) => {
        if (items.length > n) throw new Error(`BoundedQueue: ${items.length} items for a reservation of ${n}`);
        if (!close()) throw new Error('BoundedQueue: a reservation is filled or released once');
        if (items.length === 0) return true;
        if (!this.accepting) return false;
        this.items.push(...items);
        this.onDepth(this.depth);
        this.pump();
        return true;
      },
      release: () => void close(),
    };
  }

  /** Enqueue all items, or none when they do not fit. */
  offer(items: readonly T[]): boolean {
    if (!this.hasRoom(items.length)) return false;
    this.items.push(...items);
    this.onDepth(this.depth);
    this.pump();
    return true;
  }

  /** Stop taking new items; resolves when everything queued and running is done, or after timeoutMs. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    if (this.depth === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<boolean>((resolve) => this.waiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([done, timeout]);
    clearTimeout(timer);
    return result;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.head < this.items.length) {
      const item = this.items[this.head++] as T;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.running++;
      void this.handle(item)
        .catch((err: unknown) => this.onError(item, err))
        .finally(() => {
          this.running--;
          this.onDepth(this.depth);
          if (this.depth === 0) for (const w of this.waiters.splice(0)) w();
          this.pump();
        });
    }
  }
}
