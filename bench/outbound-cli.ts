/**
 * `npm run bench -- outbound [options]` (dispatched from run.ts): parses options, runs each engine,
 * prints the table and writes bench/results/outbound-<time>.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, int, ints, machineInfo, onOff, RESULTS_DIR, runEngines, saveResults, startResults } from './bench-cli.js';
import { resolveEngines, type Engine } from './bench-database.js';
import { runOutbound, type OutboundResult } from './outbound.js';
import { fixed, formatTable } from './table.js';

export const OUTBOUND_USAGE = `usage: npm run bench -- outbound [--engine pglite|postgres|both] [--rates 100,200,300] [--seconds 10]
                               [--messages 2000] [--concurrency 32] [--warmup 10000] [--api-rate-limits on|off|both] [--profile]`;

export async function outboundMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      rates: { type: 'string', default: '100,200,300' },
      seconds: { type: 'string', default: '10' },
      messages: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '10000' },
      'api-rate-limits': { type: 'string', default: 'on' },
    },
  });
  if (values.help) {
    process.stdout.write(`${OUTBOUND_USAGE}\n`);
    return 0;
  }
  const stamp = startResults();
  const engines = resolveEngines(values.engine);
  const rates = values.rates === '' || values.rates === '0' ? [] : ints('rates', values.rates, 1);
  const seconds = int('seconds', values.seconds, 1);
  const messages = int('messages', values.messages, 0);
  const concurrency = int('concurrency', values.concurrency, 1);
  const warmup = int('warmup', values.warmup, 0);
  const limits = values['api-rate-limits'] === 'both' ? 'both' : onOff('api-rate-limits', values['api-rate-limits']);
  const run = (engine: Engine): Promise<OutboundResult> =>
    runOutbound(engine, {
      rates,
      seconds,
      messages,
      concurrency,
      warmup,
      apiRateLimits: limits === 'both' ? 'on' : limits,
      profileFile: values.profile ? (phase) => join(RESULTS_DIR, `outbound-${engine}-${phase}-${stamp}.cpuprofile`) : null,
    });
  if (values['result-file']) {
    writeFileSync(values['result-file'], JSON.stringify(await run(engines[0]!)));
    return 0;
  }
  let results: OutboundResult[];
  if (limits === 'both') {
    // The limiter's cost on the send path: each engine with the HTTP limits on, then off, each in a
    // fresh process, in one run so that both see the same machine.
    const without = argv.filter((a, i) => a !== '--api-rate-limits' && argv[i - 1] !== '--api-rate-limits' && !a.startsWith('--api-rate-limits='));
    results = [];
    for (const engine of engines) {
      for (const setting of ['on', 'off'] as const) {
        results.push(...(await runEngines('outbound', [...without, '--api-rate-limits', setting], [engine], run, null, true)));
      }
    }
  } else {
    results = await runEngines('outbound', argv, engines, run);
  }
  printOutbound(results);
  if (limits === 'both') printLimiterCost(results);
  saveResults('outbound', stamp, machineInfo(), results);
  return 0;
}

function printOutbound(results: OutboundResult[]): void {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(
    formatTable(
      ['engine', 'limits', 'phase', 'sends', 'accepted/s', 'delivered/s', 'API p50/p99 ms', 'e2e p50/p99 ms', '202→sink p50/p99', 'max e2e', 'lag p99', 'gw CPU ms/send', 'pg CPU ms/send', 'busy cores', 'before', 'SQL/send', 'missing'],
      results.flatMap((r) =>
        r.phases.map((p) => [
          r.engine,
          r.options.apiRateLimits,
          p.phase,
          String(p.accepted),
          fixed(p.acceptedPerSecond, 0),
          fixed(p.deliveredPerSecond, 0),
          `${fixed(p.apiMs.p50)} / ${fixed(p.apiMs.p99)}`,
          `${fixed(p.endToEndMs.p50)} / ${fixed(p.endToEndMs.p99)}`,
          `${fixed(p.afterAcceptMs.p50)} / ${fixed(p.afterAcceptMs.p99)}`,
          fixed(p.endToEndMs.max),
          fixed(p.sendLagMs?.p99),
          fixed(p.cpu.gatewayMsPerSend),
          fixed(p.cpu.postgresMsPerSend),
          fixed(p.cpu.machineBusyCores, 2),
          fixed(p.cpu.busyCoresBefore, 2),
          fixed(p.sql?.perSend),
          String(p.missing),
        ]),
      ),
    ),
  );
  for (const r of results) {
    for (const p of r.phases) {
      if (p.failures.length) out(`${r.engine} ${p.phase}: ${p.failures.length} failures, first: ${p.failures[0]}`);
      if (p.mode === 'open') {
        const slow = p.perSecond.filter((b) => b.max > 200);
        if (slow.length) out(`${r.engine} ${p.phase}: seconds with an end-to-end max over 200 ms: ${slow.map((b) => `#${b.second} (p50 ${b.p50}, max ${b.max}, gateway loop delay max ${b.loopMaxMs ?? '–'})`).join(', ')}`);
      }
      if (p.sql) {
        out(`\n${r.engine} ${p.phase}: SQL statements per accepted send (mean / max round trip):`);
        for (const st of p.sql.statements.slice(0, 12)) out(`  ${(st.count / p.accepted).toFixed(2).padStart(5)}  ${st.meanMs.toFixed(2).padStart(6)} / ${st.maxMs.toFixed(1).padStart(6)} ms  ${st.statement}`);
      }
      if (p.profile) {
        out(`\n${r.engine} ${p.phase} profile (${p.profile.totalMs} ms of gateway CPU; ${p.profile.file}):`);
        for (const b of p.profile.buckets) out(`  ${(b.share * 100).toFixed(1).padStart(5)} %  ${b.ms.toFixed(0).padStart(6)} ms  ${b.bucket}`);
        out('  top functions (self time):');
        for (const t of p.profile.top) out(`    ${t.ms.toFixed(0).padStart(6)} ms  ${t.fn}`);
      }
    }
  }
}

/** Gateway CPU per send and throughput with the HTTP limits on against off, phase by phase. */
function printLimiterCost(results: OutboundResult[]): void {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out('\nHTTP limiter on the send path (on against off, same engine and phase):');
  for (const on of results.filter((r) => r.options.apiRateLimits === 'on')) {
    const off = results.find((r) => r.engine === on.engine && r.options.apiRateLimits === 'off');
    for (const p of on.phases) {
      const q = off?.phases.find((x) => x.phase === p.phase);
      const cpuOn = p.cpu.gatewayMsPerSend;
      const cpuOff = q?.cpu.gatewayMsPerSend;
      if (!q || cpuOn === null || cpuOn === undefined || !cpuOff) continue;
      const cpu = ((cpuOn / cpuOff - 1) * 100).toFixed(1);
      out(`  ${on.engine} ${p.phase}: gateway CPU ${fixed(cpuOn)} vs ${fixed(cpuOff)} ms/send (${cpu} %), accepted ${fixed(p.acceptedPerSecond, 0)} vs ${fixed(q.acceptedPerSecond, 0)}/s, API p99 ${fixed(p.apiMs.p99)} vs ${fixed(q.apiMs.p99)} ms`);
    }
  }
}
