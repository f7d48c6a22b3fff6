/**
 * Where `e2a login` keeps the API URL and key: $E2A_CLI_CONFIG_DIR, else $XDG_CONFIG_HOME/e2a, else
 * ~/.config/e2a; the file is created with mode 0600 because it holds a credential.
 * Environment variables (E2A_API_URL, E2A_API_KEY, E2A_AGENT_EMAIL) win over the file.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** forward_secret: the whsec_… secret `e2a listen --forward` signs with, kept so handlers keep verifying. */
export const CONFIG_KEYS = ['api_url', 'api_key', 'agent', 'forward_secret'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
export type StoredConfig = Partial<Record<ConfigKey, string>>;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.E2A_CLI_CONFIG_DIR) return env.E2A_CLI_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'e2a');
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): StoredConfig {
  try {
    const parsed = JSON.parse(readFileSync(configPath(env), 'utf8')) as Record<string, unknown>;
    const out: StoredConfig = {};
    for (const key of CONFIG_KEYS) if (typeof parsed[key] === 'string') out[key] = parsed[key];
    return out;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read ${configPath(env)}: ${(err as Error).message}; fix or delete the file`);
  }
}

export function writeConfig(config: StoredConfig, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = configPath(env);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of an existing file; make sure it is private.
  chmodSync(file, 0o600);
  return file;
}

/** What the commands use: environment first, then the file. */
export function effectiveConfig(env: NodeJS.ProcessEnv = process.env): StoredConfig & { api_url: string } {
  const stored = readConfig(env);
  return {
    api_url: env.E2A_API_URL || stored.api_url || 'http://127.0.0.1:8080',
    ...(env.E2A_API_KEY || stored.api_key ? { api_key: env.E2A_API_KEY || stored.api_key } : {}),
    ...(env.E2A_AGENT_EMAIL || stored.agent ? { agent: env.E2A_AGENT_EMAIL || stored.agent } : {}),
  };
}
