/** The time source the relay reads, so tests can pin "now" without fake timers. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
