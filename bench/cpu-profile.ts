/**
 * `--profile`: a V8 CPU profile of the gateway process for the measured phase only (node:inspector,
 * same data as `node --cpu-prof`), saved for Chrome DevTools / speedscope, plus a summary of self
 * time by where the code lives (which package, or our relay/ and api/ sources).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** CPU time by pipeline stage, largest first, in ms and share of non-idle time. */
  buckets: Array<{ bucket: string; ms: number; share: number }>;
  /** The heaviest functions by self time. */
  top: Array<{ fn: string; ms: number }>;
}

/** Starts profiling; the function it returns stops, saves the profile to `file` and summarises it. */
export async function startProfile(attribution: Attribution = { stages: STAGES }): Promise<(file: string) => Promise<ProfileSummary>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    return summariseProfile(profile, file, attribution);
  };
}

/** How samples are charged: stage tables by script URL, most specific first. */
export interface Attribution {
  /** Packages and our sources; the nearest matching frame from the leaf upwards wins. */
  stages: Array<[RegExp, string]>;
  /** For samples with no package or source on the stack: node: modules (sockets, timers). */
  fallbacks?: Array<[RegExp, string]>;
  /** How many of the heaviest functions to list. */
  top?: number;
}

/**
 * Native and node:internal frames (a socket writev, a crypto one-shot) are charged to the nearest
 * caller that is a package or our own source, then packages are rolled up into pipeline stages:
 * "SQL" then includes the syscalls the pg driver makes, which is the question a reader asks.
 */
function summariseProfile(profile: Profile, file: string, attribution: Attribution): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const ownerOf = (id: number): string => {
    if (byId.get(id)!.callFrame.functionName === '(garbage collector)') return 'GC';
    for (const table of [attribution.stages, attribution.fallbacks ?? []]) {
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const url = byId.get(cur)!.callFrame.url;
        for (const [re, stage] of table) if (re.test(url)) return stage;
      }
    }
    return 'node internals / event loop';
  };
  const buckets = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    total += us;
    const bucket = ownerOf(id);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)} [${bucket}]`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const ms = (us: number): number => Math.round(us / 100) / 10;
  return {
    file,
    totalMs: ms(total),
    buckets: [...buckets].sort((a, b) => b[1] - a[1]).map(([bucket, us]) => ({ bucket, ms: ms(us), share: us / total })),
    top: [...fns].sort((a, b) => b[1] - a[1]).slice(0, attribution.top ?? 15).map(([fn, us]) => ({ fn, ms: ms(us) })),
  };
}

/** Script URLs of the packages behind a stage, with their dependencies; shared by every attribution. */
export const PACKAGES = {
  mailauth: /node_modules\/(mailauth|punycode|psl|ipaddr\.js)\//,
  mailparser: /node_modules\/(mailparser|@zone-eu|libmime|libqp|libbase64|iconv-lite|encoding-japanese|html-to-text|linkify-it|tlds|he|@selderee|selderee|htmlparser2|domhandler|dom-serializer|leac|parseley|peberminta|deepmerge)\//,
  sql: /node_modules\/(kysely|pg|pg-protocol|pg-pool|pg-types|pg-connection-string|pgpass|postgres-[a-z]+|@electric-sql)\//,
  pino: /node_modules\/(pino|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|safe-stable-stringify|@pinojs|atomic-sleep)\//,
};

const STAGES: Array<[RegExp, string]> = [
  [PACKAGES.mailauth, 'verify: mailauth (DKIM, SPF, DMARC, ARC)'],
  [PACKAGES.mailparser, 'parse: mailparser'],
  [PACKAGES.sql, 'SQL: kysely + driver'],
  [/node_modules\/(smtp-server|ipv6-normalize|base32\.js)\//, 'SMTP: smtp-server'],
  [/node_modules\/nodemailer\//, 'nodemailer (compose, SMTP client)'],
  [PACKAGES.pino, 'logging: pino'],
  [/node_modules\/ulid\//, 'ids: ulid'],
  [/\/api\/src\/crypto\//, 'encryption: AES-256-GCM'],
  [/\/relay\/src\/mime\/sanitize/, 'sanitize (relay/mime)'],
  [/\/(relay|api)\/src\//, 'e2a code (relay, api)'],
  [/\/bench\//, 'bench harness'],
  [/^node:inspector/, 'profiler'],
  [/node_modules\//, 'other packages'],
];

function shortUrl(url: string): string {
  return url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(relay|api|bench|sdk-ts)\//, '$1/');
}
