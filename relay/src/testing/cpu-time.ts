/**
 * CPU milliseconds a piece of work takes, best of three: for tests that compare the cost of two input
 * sizes (is this linear?). CPU time, not wall time: a busy machine preempts a long run more often than
 * a short one, which inflated wall-clock ratios of linear code past 100.
 */
export function cpuMsBestOf3(run: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}
