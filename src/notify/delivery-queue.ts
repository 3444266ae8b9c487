/**
 * A bounded FIFO drained by one worker, so messages leave in the order they
 * came (a remediation's transitions stay in order). When full, the oldest
 * waiting item makes room: the newest news about a remediation matters most.
 */
export interface DeliveryQueueHooks<T> {
  /** An item was dropped unsent. */
  onDrop: (item: T, reason: 'queue_full' | 'shutdown') => void;
  /** The number of waiting items changed. */
  onLength: (length: number) => void;
  /** `handle` threw; the worker goes on with the next item. */
  onError: (item: T, err: unknown) => void;
}

export class DeliveryQueue<T> {
  private items: T[] = [];
  /** The worker loop is scheduled or running. */
  private working = false;
  /** An item is being handled. */
  private sending = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly capacity: number,
    private readonly handle: (item: T) => Promise<void>,
    private readonly hooks: DeliveryQueueHooks<T>,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`queue capacity must be a positive whole number, got ${capacity}`);
  }

  /** Waiting items (the one being sent not included). */
  get length(): number {
    return this.items.length;
  }

  /** Waiting plus the one being sent. */
  get pending(): number {
    return this.items.length + (this.sending ? 1 : 0);
  }

  /** Add an item and return at once; the worker runs on a later tick. */
  push(item: T): void {
    if (this.closed) {
      this.hooks.onDrop(item, 'shutdown');
      return;
    }
    this.items.push(item);
    while (this.items.length > this.capacity) this.hooks.onDrop(this.items.shift() as T, 'queue_full');
    this.hooks.onLength(this.items.length);
    if (!this.working) {
      this.working = true;
      setImmediate(() => void this.work());
    }
  }

  /**
   * Stop taking items and wait until the queue is empty and the worker idle, at
   * most `timeoutMs`. On time-out the items still waiting are dropped (reason
   * shutdown) and the answer is false; the item being sent finishes on its own.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    if (this.pending === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    if (!done) {
      for (const item of this.items.splice(0)) this.hooks.onDrop(item, 'shutdown');
      this.hooks.onLength(0);
    }
    return done;
  }

  private async work(): Promise<void> {
    for (let item = this.items.shift(); item !== undefined; item = this.items.shift()) {
      this.sending = true;
      this.hooks.onLength(this.items.length);
      try {
        await this.handle(item);
      } catch (err) {
        this.hooks.onError(item, err);
      }
      this.sending = false;
    }
    this.working = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
