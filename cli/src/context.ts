/** What every command gets: the client built from config, and output in --json or human form. */
import type { E2A } from '@e2a/sdk';
import { EXIT } from './exit-codes.js';
import { CliError } from './failure.js';
import { effectiveConfig } from './config-store.js';
import { sdk } from './sdk.js';

export interface Context {
  json: boolean;
  client(): E2A;
  /** The agent address from --agent, E2A_AGENT_EMAIL or the config file. */
  agent(explicit?: string): string;
  print(data: unknown, human: () => string): void;
}

export function createContext(opts: { json: boolean; env?: NodeJS.ProcessEnv }): Context {
  let config: ReturnType<typeof effectiveConfig> | null = null;
  const settings = () => (config ??= effectiveConfig(opts.env ?? process.env));
  let client: E2A | null = null;
  return {
    json: opts.json,
    client() {
      if (client) return client;
      const { api_key, api_url, agent } = settings();
      if (!api_key) throw new CliError('no API key: run `e2a login` or set E2A_API_KEY', EXIT.auth);
      client = new (sdk().E2A)({ apiKey: api_key, baseUrl: api_url, agent });
      return client;
    },
    agent(explicit) {
      const address = explicit ?? settings().agent;
      if (!address) throw new CliError('no agent: pass --agent bot@… or run `e2a config set agent bot@…`', EXIT.usage);
      return address;
    },
    print(data, human) {
      process.stdout.write(opts.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
    },
  };
}

/** A fixed-width table for human output. */
export function table(rows: Array<Record<string, string | number | boolean | null | undefined>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}
