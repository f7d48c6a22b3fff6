/**
 * `npm run bench -- pathological [--engine pglite|postgres|both]`: each message of the pathological
 * corpus (relay/src/testing/pathological.ts), and one large ordinary one, sent alone to a gateway with the content scan at `high`,
 * while a second client polls /readyz and another SMTP connection sends NOOP back to back. Reports
 * the reply, end of data → reply, and the worst /readyz and NOOP round trip during each message
 * (the bound: 250 ms). The gateway, the sender and the probes share this process, as in the
 * corpus test (api/src/inbound/pathological.test.ts).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LARGE_HTML, PATHOLOGICAL } from '@e2a/relay/testing';
import { sendMeasured, startResponsivenessProbe } from '../api/src/testing/responsiveness.js';
import { COMMON_OPTIONS, machineInfo, runEngines, saveResults, startResults } from './bench-cli.js';
import { resolveEngines, type Engine } from './bench-database.js';
import { machineBusyCores } from './cpu-usage.js';
import { BENCH_DOMAIN, startBenchGateway } from './bench-gateway.js';
import { fixed, formatTable } from './table.js';

export const PATHOLOGICAL_USAGE = 'usage: npm run bench -- pathological [--engine pglite|postgres|both]';

interface ItemResult {
  name: string;
  bytes: number;
  reply: string;
  latencyMs: number;
  worstReadyzMs: number;
  /** The gateway thread's CPU time during the worst round trip of either loop. */
  worstThreadCpuMs: number;
  worstNoopMs: number;
  samples: number;
}

interface EngineResult {
  engine: Engine;
  busyBefore: number | null;
  items: ItemResult[];
}

async function runPathological(engine: Engine): Promise<EngineResult> {
  const busyBefore = await machineBusyCores(1000);
  const bench = await startBenchGateway(engine);
  const bot = `bot@${BENCH_DOMAIN}`;
  try {
    await bench.api('POST', '/v1/agents', { local_part: 'bot' });
    await bench.api('PUT', `/v1/agents/${bot}/protection`, { content_scan: { sensitivity: 'high', action: 'flag' } });
    const probe = await startResponsivenessProbe(bench.gateway.httpUrl, bench.gateway.smtpPort);
    const items: ItemResult[] = [];
    try {
      for (const item of [...PATHOLOGICAL, LARGE_HTML]) {
        const raw = item.build(bot, `${item.name}.${Date.now()}@bench.example`);
        const { reply, latencyMs, worst } = await sendMeasured(bench.gateway.smtpPort, 'mallory@example.com', bot, raw, probe);
        items.push({ name: item.name, bytes: raw.length, reply: `${reply.code} ${reply.enhanced ?? ''}`.trim(), latencyMs, worstReadyzMs: worst.readyzMs, worstNoopMs: worst.noopMs, worstThreadCpuMs: Math.max(worst.readyzCpuMs, worst.noopCpuMs), samples: worst.samples });
        process.stderr.write(`  ${item.name}: ${reply.code}, worst /readyz ${worst.readyzMs.toFixed(0)} ms, NOOP ${worst.noopMs.toFixed(0)} ms\n`);
      }
    } finally {
      await probe.stop();
    }
    return { engine, busyBefore, items };
  } finally {
    await bench.close();
  }
}

export async function pathologicalMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS } });
  if (values.help) {
    process.stdout.write(`${PATHOLOGICAL_USAGE}\n`);
    return 0;
  }
  const stamp = startResults();
  const engines = resolveEngines(values.engine);
  // A child run for one engine (runEngines): measure and hand the figures back in the file.
  if (values['result-file']) {
    writeFileSync(values['result-file'], JSON.stringify(await runPathological(engines[0]!)));
    return 0;
  }
  const results = await runEngines('pathological', argv, engines, runPathological);
  for (const r of results) {
    process.stdout.write(`\npathological corpus, ${r.engine} (content scan at high; ${fixed(r.busyBefore, 2)} cores busy before)\n`);
    process.stdout.write(
      `${formatTable(
        ['message', 'bytes', 'reply', 'end of data → reply ms', 'worst /readyz ms', 'worst NOOP ms', 'gateway thread CPU in it ms'],
        r.items.map((i) => [i.name, String(i.bytes), i.reply, fixed(i.latencyMs, 0), fixed(i.worstReadyzMs, 0), fixed(i.worstNoopMs, 0), fixed(i.worstThreadCpuMs, 0)]),
      )}\n`,
    );
    const corpus = r.items.filter((i) => i.name !== LARGE_HTML.name);
    const worst = Math.max(...corpus.map((i) => Math.max(i.worstReadyzMs, i.worstNoopMs)));
    process.stdout.write(`worst /readyz or NOOP wait over the pathological corpus: ${fixed(worst, 0)} ms (bound 250 ms; ${LARGE_HTML.name} is not part of it)\n`);
  }
  saveResults('pathological', stamp, machineInfo(), results);
  return 0;
}
