/**
 * `--profile`: a V8 CPU profile of the gateway process for the measured phase only (node:inspector,
 * same data as `node --cpu-prof`), saved for Chrome DevTools / speedscope, plus a summary of self
 * time by where the code lives (which package, or our relay/ and api/ sources).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Self time by bucket, largest first, in ms and share of non-idle time. */
  buckets: Array<{ bucket: string; ms: number; share: number }>;
  /** The heaviest functions by self time. */
  top: Array<{ fn: string; ms: number }>;
}

export async function startProfile(): Promise<(file: string) => Promise<ProfileSummary>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    return summariseProfile(profile, file);
  };
}

function summariseProfile(profile: Profile, file: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const buckets = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const bucket = bucketOf(frame.url, frame.functionName);
    if (bucket === '(idle)') continue;
    total += us;
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const ms = (us: number): number => Math.round(us / 100) / 10;
  return {
    file,
    totalMs: ms(total),
    buckets: [...buckets].sort((a, b) => b[1] - a[1]).map(([bucket, us]) => ({ bucket, ms: ms(us), share: us / total })),
    top: [...fns].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([fn, us]) => ({ fn, ms: ms(us) })),
  };
}

function bucketOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/(relay|api|sdk-ts|bench)\/src\/([^/]+)/.exec(url) ?? /\/(bench)\/()/.exec(url);
  if (ours) return ours[2] ? `${ours[1]}/${ours[2]}` : ours[1]!;
  if (url.startsWith('node:')) return url.split('/')[0]!.replace(/^node:internal.*/, 'node:internal');
  return url;
}

function shortUrl(url: string): string {
  return url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(relay|api|bench)\//, '$1/');
}
