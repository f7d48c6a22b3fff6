/**
 * CPU time of the local PostgreSQL server (processes named `postgres` in /proc), so a phase can
 * say how much of the machine the database took besides the gateway and the load child. Linux only;
 * backends that exit between two marks are not counted (the bench's pool connections stay open).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every mainstream Linux build. */
const CLK_TCK = 100;

/**
 * With `database`, only the backends connected to it (their title is `postgres: user database …`),
 * so other users of the same server are not counted; the server's background writers are not either.
 */
export function postgresCpuByPid(database?: string): Map<string, number> | null {
  const out = new Map<string, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (stat.slice(open + 1, close) !== 'postgres') continue;
    if (database) {
      let title = '';
      try {
        title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!title.split(/[\s\0]+/).includes(database)) continue;
    }
    // Fields after "(comm)": state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    const fields = stat.slice(close + 2).split(' ');
    out.set(pid, ((Number(fields[11]) + Number(fields[12])) / CLK_TCK) * 1000);
  }
  return out;
}

/**
 * Marks now; the returned function gives the CPU ms spent since by the processes alive at the end
 * (pg.Pool closes idle connections after 10 s, so a backend can exit in between: its time is lost,
 * an undercount, rather than subtracted).
 */
export function markPostgresCpu(database?: string): () => number | null {
  const before = postgresCpuByPid(database);
  return () => {
    const after = postgresCpuByPid(database);
    if (!before || !after) return null;
    let ms = 0;
    for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
    return ms;
  };
}
