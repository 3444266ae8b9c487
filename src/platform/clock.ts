/** The clock is a port: tests hand in a fixed or stepped one. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told; for tests. */
export class ManualClock implements Clock {
  constructor(private t: Date = new Date('2026-11-28T12:00:00Z')) {}
  now(): Date {
    return new Date(this.t.getTime());
  }
  advance(ms: number): void {
    this.t = new Date(this.t.getTime() + ms);
  }
  set(t: Date): void {
    this.t = new Date(t.getTime());
  }
}
