/** The clock, injected so tests can move time (hold expiry, claim age) without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A stored time as the wire writes it (RFC 3339, UTC); PGlite and pg return Date, JSON returns string. */
export function isoTime<T extends Date | string | null>(d: T): T extends null ? null : string {
  return (d === null ? null : new Date(d).toISOString()) as T extends null ? null : string;
}
