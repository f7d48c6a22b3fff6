/**
 * `npm run bench -- <scenario> [options]`: figures, not tests. Nothing here fails on a slow result;
 * it prints a table and writes the full numbers as JSON to bench/results/ (git-ignored).
 *
 *   npm run bench -- inbound [--engine pglite|postgres|both] [--messages 2000] [--concurrency 16]
 *                            [--size 4096] [--large-mib 20] [--per-connection 20] [--stages 200]
 *                            [--warmup 200] [--anchors] [--profile]   (see inbound-cli.ts)
 *   npm run bench -- delivery [--engine …] [--rates 50,200] [--seconds 20] [--backlog 10000]
 *                             [--listeners 5000] [--profile]   (see delivery-cli.ts)
 *   npm run bench -- outbound [--engine …] [--rates 100,200,300] [--seconds 10] [--messages 2000]
 *                             [--concurrency 32] [--warmup 10000] [--profile]   (see outbound-cli.ts)
 *   npm run bench -- storage [--engine …] [--recipients 100] [--mib 19.4]   (see storage-cli.ts)
 *   npm run bench -- pathological [--engine …]   (see pathological.ts)
 *   npm run bench -- startup [--runner compiled,tsx,tsx-cold] [--engine …] [--runs 5]   (see startup.ts)
 *   npm run bench -- dashboard [--engine pglite|postgres] [--reviews 10000] [--cold 3] [--warm 5]   (see dashboard.ts)
 *   npm run bench -- lists [--engine …] [--members 1000] [--posts 5] [--size 4096]   (see lists.ts)
 *   npm run bench -- listeners [--engine …] [--listeners 10000] [--agents 100] [--snapshot]   (see listeners.ts)
 *   npm run bench -- multicore [--processes 1,2] [--messages 4000] [--idle on|off|only]   (see multicore.ts; PostgreSQL)
 *   npm run bench -- search [--engine …] [--messages 100000] [--queries 200] [--explain]   (see search.ts)
 *   npm run bench -- export [--engine …] [--messages 10000] [--size 4096] [--agents 4]   (see export.ts)
 *
 * PostgreSQL runs create a fresh database on E2A_BENCH_DATABASE_URL (or TEST_DATABASE_URL).
 */
import { DASHBOARD_USAGE, dashboardMain } from './dashboard.js';
import { DELIVERY_USAGE, deliveryMain } from './delivery-cli.js';
import { EXPORT_USAGE, exportMain } from './export.js';
import { INBOUND_USAGE, inboundMain } from './inbound-cli.js';
import { LISTENERS_USAGE, listenersMain } from './listeners.js';
import { LISTS_USAGE, listsMain } from './lists.js';
import { MULTICORE_USAGE, multicoreMain } from './multicore.js';
import { OUTBOUND_USAGE, outboundMain } from './outbound-cli.js';
import { PATHOLOGICAL_USAGE, pathologicalMain } from './pathological.js';
import { SEARCH_USAGE, searchMain } from './search.js';
import { STARTUP_USAGE, startupMain } from './startup.js';
import { STORAGE_USAGE, storageMain } from './storage-cli.js';

const SCENARIOS: Record<string, (argv: string[]) => Promise<number>> = { inbound: inboundMain, delivery: deliveryMain, outbound: outboundMain, storage: storageMain, pathological: pathologicalMain, startup: startupMain, dashboard: dashboardMain, lists: listsMain, listeners: listenersMain, multicore: multicoreMain, search: searchMain, export: exportMain };

const USAGE = [INBOUND_USAGE, DELIVERY_USAGE, OUTBOUND_USAGE, STORAGE_USAGE, PATHOLOGICAL_USAGE, STARTUP_USAGE, DASHBOARD_USAGE, LISTS_USAGE, LISTENERS_USAGE, MULTICORE_USAGE, SEARCH_USAGE, EXPORT_USAGE].join('\n');

async function main([scenario, ...argv]: string[]): Promise<number> {
  if (!scenario || scenario === '--help' || scenario === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return scenario ? 0 : 2;
  }
  const run = Object.hasOwn(SCENARIOS, scenario) ? SCENARIOS[scenario]! : null;
  if (!run) {
    process.stderr.write(`bench: unknown scenario ${scenario} (have: ${Object.keys(SCENARIOS).join(', ')})\n${USAGE}\n`);
    return 2;
  }
  return run(argv);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
