/** A clock tests move forward (expiry, windows, claim age) without sleeping. */
import type { Clock } from '../clock.js';

export class TestClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
