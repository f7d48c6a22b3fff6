/**
 * CPU accounting for a bench phase: the gateway's own (process.cpuUsage) and the whole machine's
 * (/proc/stat), so the gap (PostgreSQL, the load generator, the kernel) is visible too. On a
 * 2-core box "the machine was saturated" is often the whole explanation.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface CpuMark {
  process: NodeJS.CpuUsage;
  machine: { busy: number; total: number } | null;
  at: number;
}

export function markCpu(): CpuMark {
  return { process: process.cpuUsage(), machine: readProcStat(), at: performance.now() };
}

export interface CpuSpent {
  /** This process's CPU time in the interval, in ms (user + system). */
  processMs: number;
  /** Cores kept busy on average by everything on the machine, 0…cores; null off Linux. */
  machineBusyCores: number | null;
  cores: number;
}

export function cpuSince(mark: CpuMark): CpuSpent {
  const used = process.cpuUsage(mark.process);
  const now = readProcStat();
  const cores = availableParallelism();
  const machineBusyCores =
    now && mark.machine && now.total > mark.machine.total
      ? ((now.busy - mark.machine.busy) / (now.total - mark.machine.total)) * cores
      : null;
  return { processMs: (used.user + used.system) / 1000, machineBusyCores, cores };
}

/** Cores kept busy by everything on the machine over the next `ms`: is it quiet enough to measure? */
export async function machineBusyCores(ms = 1000): Promise<number | null> {
  const mark = markCpu();
  await new Promise((r) => setTimeout(r, ms));
  return cpuSince(mark).machineBusyCores;
}

function readProcStat(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}
