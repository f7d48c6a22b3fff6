/** login, whoami, config: who the CLI talks to, and as whom. */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { CONFIG_KEYS, configPath, effectiveConfig, readConfig, writeConfig, type ConfigKey } from '../config-store.js';
import type { Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { CliError } from '../failure.js';
import { sdk } from '../sdk.js';
import { urlValue } from '../values.js';

async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError('no --key given and no terminal to ask on; pass --key e2a_…', EXIT.usage);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

export function accountCommands(program: Command, ctx: () => Context): void {
  program
    .command('login')
    .description('check an API key against the server and store it (mode 0600)')
    .option('--key <key>', 'API key (e2a_…); asked for when omitted')
    .option('--url <url>', 'API URL', urlValue)
    .addHelpText('after', '\nExample:\n  e2a login --url http://127.0.0.1:8080 --key e2a_…')
    .action(async (opts: { key?: string; url?: string }) => {
      const url = opts.url ?? effectiveConfig().api_url;
      const key = opts.key ?? (await prompt('API key: '));
      const info = await new (sdk().E2A)({ apiKey: key, baseUrl: url, maxRetries: 0 }).info();
      if (!info.auth) throw new CliError('the server did not recognise that key', EXIT.auth);
      const file = writeConfig({ ...readConfig(), api_url: url, api_key: key });
      ctx().print({ api_url: url, email: info.auth.email, scope: info.auth.scope, config: file }, () => `Logged in to ${url} as ${info.auth!.email} (${info.auth!.scope} key). Saved to ${file}.`);
    });

  program
    .command('whoami')
    .description('show the account and key scope in use')
    .action(async () => {
      const c = ctx();
      const info = await c.client().info();
      if (!info.auth) throw new CliError('the server did not recognise the key in use', EXIT.auth);
      c.print(info.auth, () => `${info.auth!.email} (${info.auth!.scope} key${info.auth!.agent_address ? ` for ${info.auth!.agent_address}` : ''}) at ${info.public_url}`);
    });

  const config = program.command('config').description('read and change stored settings: api_url, api_key, agent');
  const checkKey = (key: string): ConfigKey => {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) throw new CliError(`unknown key ${key}; keys are ${CONFIG_KEYS.join(', ')}`, EXIT.usage);
    return key as ConfigKey;
  };
  config
    .command('get <key>')
    .action((key: string) => {
      const value = effectiveConfig()[checkKey(key)];
      if (value === undefined) throw new CliError(`${key} is not set`, EXIT.notFound);
      ctx().print({ [key]: value }, () => value);
    });
  config
    .command('set <key> <value>')
    .action((key: string, value: string) => {
      const file = writeConfig({ ...readConfig(), [checkKey(key)]: value });
      ctx().print({ [key]: value, config: file }, () => `${key} set in ${file}`);
    });
  config.command('list').action(() => {
    const stored = effectiveConfig();
    const shown = { ...stored, ...(stored.api_key ? { api_key: `${stored.api_key.slice(0, 12)}…` } : {}) };
    ctx().print({ ...shown, config: configPath() }, () => Object.entries(shown).map(([k, v]) => `${k}=${v}`).join('\n'));
  });
}
