/** `e2a doctor`: is everything needed to use the gateway in place? Each check says how to fix it. */
import type { Command } from 'commander';
import { effectiveConfig } from '../config-store.js';
import type { Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { CliError } from '../failure.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export function doctorCommand(program: Command, ctx: () => Context): void {
  program
    .command('doctor')
    .description('check the URL, the key, the clock and the WebSocket connection')
    .option('--agent <address>', 'also check listening for this agent')
    .action(async (opts: { agent?: string }) => {
      const c = ctx();
      const config = effectiveConfig();
      const checks: Check[] = [];
      let reachable = false;
      try {
        const started = Date.now();
        const res = await fetch(new URL('/api/health', config.api_url), { signal: AbortSignal.timeout(5000) });
        const serverDate = Date.parse(res.headers.get('date') ?? '');
        reachable = res.ok;
        checks.push({ name: 'url', ok: res.ok, detail: `${config.api_url} answered ${res.status} in ${Date.now() - started} ms` });
        if (!Number.isNaN(serverDate)) {
          const skew = Math.round((Date.now() - serverDate) / 1000);
          checks.push({
            name: 'clock',
            ok: Math.abs(skew) < 60,
            detail: Math.abs(skew) < 60 ? `within ${Math.abs(skew)} s of the server` : `${skew} s off the server: signatures expire after 300 s, fix this machine's clock (NTP)`,
          });
        }
      } catch (err) {
        checks.push({ name: 'url', ok: false, detail: `${config.api_url} unreachable (${(err as Error).message}); set it with \`e2a login --url\` or E2A_API_URL` });
      }
      if (reachable) {
        if (!config.api_key) {
          checks.push({ name: 'key', ok: false, detail: 'no API key: run `e2a login` or set E2A_API_KEY' });
        } else {
          try {
            const info = await c.client().info();
            checks.push({ name: 'key', ok: info.auth !== null, detail: info.auth ? `${info.auth.email}, ${info.auth.scope} key` : 'key not recognised' });
          } catch (err) {
            checks.push({ name: 'key', ok: false, detail: (err as Error).message });
          }
          const agent = opts.agent ?? config.agent;
          if (agent) checks.push(await checkWebSocket(c, agent));
        }
      }
      c.print(checks, () => checks.map((k) => `${k.ok ? 'ok  ' : 'FAIL'}  ${k.name.padEnd(9)} ${k.detail}`).join('\n'));
      if (checks.some((k) => !k.ok)) throw new CliError('', checks.find((k) => k.name === 'key' && !k.ok) ? EXIT.auth : EXIT.other);
    });
}

async function checkWebSocket(c: Context, agent: string): Promise<Check> {
  const abort = new AbortController();
  const result = new Promise<Check>((resolve) => {
    const timer = setTimeout(() => resolve({ name: 'websocket', ok: false, detail: `no answer for ${agent} within 5 s` }), 5000);
    void (async () => {
      try {
        const iterator = c.client().listen(agent, {
          signal: abort.signal,
          autoAck: false,
          onStatus: (s) => {
            if (s.state === 'connected') {
              clearTimeout(timer);
              resolve({ name: 'websocket', ok: true, detail: `listening for ${agent} works` });
            }
          },
        });
        await iterator.next();
      } catch (err) {
        clearTimeout(timer);
        resolve({ name: 'websocket', ok: false, detail: (err as Error).message });
      }
    })();
  });
  const check = await result;
  abort.abort();
  return check;
}
