/**
 * What the CLI's end-to-end files share: a live gateway, and `e2a` pointed at it with its account
 * key, a config directory and a HOME of its own (so no test reads or writes a real one).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startLiveServer, type LiveServer } from '../../../sdk-ts/src/testing/live-server.js';
import { runCli, type CliResult } from './run-cli.js';

export interface CliHarness {
  server: LiveServer;
  /** E2A_API_URL, E2A_API_KEY, E2A_CLI_CONFIG_DIR and HOME for the CLI. */
  env: Record<string, string>;
  e2a(args: string[], extra?: Record<string, string>): Promise<CliResult>;
  /** Runs with --json, expects exit 0 and returns the parsed output. */
  json(args: string[], extra?: Record<string, string>): Promise<any>;
}

export async function startCliHarness(): Promise<CliHarness> {
  const server = await startLiveServer();
  const env = {
    E2A_CLI_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'e2a-cli-')),
    HOME: mkdtempSync(join(tmpdir(), 'e2a-home-')),
    E2A_API_URL: server.baseUrl,
    E2A_API_KEY: server.apiKey,
  };
  const e2a = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra });
  return {
    server,
    env,
    e2a,
    async json(args, extra = {}) {
      const r = await e2a(['--json', ...args], extra);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    },
  };
}
