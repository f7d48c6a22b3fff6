/** The clock, injected so tests can move time (hold expiry, claim age) without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
