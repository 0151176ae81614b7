// Time comes in through a port: the RIB never reads the real clock or sets timers itself.

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
