import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Samples this process's resident set on a timer. A timer only fires when the event loop is free,
 * so a long synchronous step (a 20 MiB base64 decode) can hide a short peak between samples;
 * process.resourceUsage().maxRSS (the kernel's high-water mark) is reported beside it for that.
 */
export interface RssSampler {
  /** Highest sample so far, in bytes. */
  readonly peak: number;
  readonly samples: number;
  stop(): { peak: number; samples: number };
}

export function sampleRss(intervalMs: number): RssSampler {
  let peak = process.memoryUsage.rss();
  let samples = 1;
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    samples++;
    if (rss > peak) peak = rss;
  }, intervalMs);
  return {
    get peak() {
      return peak;
    },
    get samples() {
      return samples;
    },
    stop() {
      clearInterval(timer);
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
      return { peak, samples };
    },
  };
}

/** The kernel's peak RSS for this process, in bytes (resourceUsage reports kilobytes). */
export function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Restarts the kernel's peak-RSS count for this process (Linux: writing 5 to clear_refs resets
 * VmHWM), so that `peakRssSinceReset` sees the peak of one step, a synchronous one included, which a
 * timer cannot. False where that is not possible (another OS, a restricted /proc).
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** VmHWM in bytes: the highest RSS since the last resetPeakRss() (or since start); null off Linux. */
export function peakRssSinceReset(): number | null {
  try {
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}

export const MiB = 1024 * 1024;
