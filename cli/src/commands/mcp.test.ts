/**
 * `e2a mcp` as an MCP client starts it: a child process speaking MCP on stdin/stdout, configured by
 * environment, against a gateway on an ephemeral port.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeResolver } from '@e2a/relay/testing';
import { AGENT_TOOLS } from '@e2a/sdk/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Test harness only: a whole gateway in this process, spoken to over its sockets as users do.
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../../../api/src/testing/gateway.js';
import { REPO_ROOT } from '../../../testing/compiled.js';
import { cliCommand } from '../testing/run-cli.js';

describe('e2a mcp (stdio)', () => {
  let gw: TestGateway;
  let agentKey: string;
  const bot = `stdio-bot@${TEST_DOMAIN}`;

  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}) });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ address: bot }) })).status).toBe(201);
    const res = await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ name: 'stdio', scope: 'agent', agent_address: bot }) });
    agentKey = ((await res.json()) as { key: string }).key;
  });
  afterAll(() => gw?.close());

  const env = () => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    // An empty config dir: nothing from the developer's own `e2a login`.
    E2A_CLI_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'e2a-cli-')),
    E2A_API_URL: gw.gateway.httpUrl,
    E2A_API_KEY: agentKey,
  });

  it('serves the agent tools over stdio with the key from the environment', async () => {
    const transport = new StdioClientTransport({ ...cliCommand(['mcp']), cwd: REPO_ROOT, env: env(), stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const errors: Error[] = [];
    const client = new Client({ name: 'e2a-test', version: '1' });
    client.onerror = (err) => errors.push(err);
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual([...AGENT_TOOLS]);
      const who = await client.callTool({ name: 'whoami', arguments: {} });
      expect(JSON.parse((who.content as Array<{ text: string }>)[0]!.text)).toMatchObject({ scope: 'agent', agent_address: bot });
    } finally {
      await client.close();
    }
    // Anything but JSON-RPC on stdout would have surfaced here as a parse error.
    expect(errors).toEqual([]);
    expect(stderr).toContain(`e2a mcp: ${AGENT_TOOLS.length} tools for agent ${bot}`);
  });

  it('exits 0 when its client closes stdin, having written nothing to stdout', async () => {
    const cli = cliCommand(['mcp']);
    const child = spawn(cli.command, cli.args, { cwd: REPO_ROOT, env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Ready: the client goes away.
      if (stderr.includes('over stdio')) child.stdin.end();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect({ code, stdout }).toEqual({ code: 0, stdout: '' });
  });
});
