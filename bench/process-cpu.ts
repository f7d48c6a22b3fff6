/**
 * CPU time of other processes by pid (/proc/<pid>/stat, Linux), for benches that measure servers
 * they started: every gateway process of a `--processes N` run, or an idle replica. A process's
 * worker threads are counted with it; its children are not (each is read on its own).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every mainstream Linux build. */
const CLK_TCK = 100;

/** user + system CPU ms of one process so far, or null when it is gone (or this is not Linux). */
export function processCpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after "(comm)": utime is field 14 and stime 15 (1-based, man 5 proc).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / CLK_TCK) * 1000;
}

/** The pids whose parent is `pid` (read from /proc/*\/stat). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 is the parent's pid.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/**
 * Marks now; the returned function gives the CPU ms the processes spent since. A pid that was not
 * there at the mark counts from zero; one gone by the end is not counted (its time is lost).
 */
export function markProcessCpu(pids: () => number[]): () => number {
  const before = new Map(pids().map((pid) => [pid, processCpuMs(pid) ?? 0]));
  return () => {
    let ms = 0;
    for (const pid of pids()) {
      const now = processCpuMs(pid);
      if (now !== null) ms += now - (before.get(pid) ?? 0);
    }
    return ms;
  };
}
