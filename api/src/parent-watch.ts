/**
 * `serve --stop-with-parent` (what `npm start` runs): the gateway stops when the process that started
 * it goes away. npm passes SIGINT and SIGTERM on to a script (@npmcli/run-script's signal manager)
 * but not SIGHUP, which ends npm itself, nor of course SIGKILL; either would leave the gateway
 * running, reparented, with nothing supervising it and the supervisor free to start a second one.
 * Linux's parent-death signal (prctl PR_SET_PDEATHSIG) is not reachable from Node, so the parent's
 * pid is polled: one getppid() per interval.
 */
export function watchParent(onGone: (parentPid: number) => void, intervalMs = 250): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone(parent);
  }, intervalMs);
  // Never what keeps the process alive.
  timer.unref();
  return () => clearInterval(timer);
}
