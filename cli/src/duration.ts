import { EXIT } from './exit-codes.js';
import { CliError } from './failure.js';

/** `90`, `90s`, `5m`, `2h`, `7d` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new CliError(`not a duration: ${text} (use e.g. 30s, 5m, 2h, 7d)`, EXIT.usage);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
