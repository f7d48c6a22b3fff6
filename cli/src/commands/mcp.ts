/**
 * `e2a mcp`: e2a's MCP tools over stdio, for MCP clients that start a local process. The same
 * tools as the gateway's /mcp endpoint (one implementation, in @e2a/sdk/mcp). stdout carries the
 * MCP protocol only, so every word for people goes to stderr.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';

const CLIENT_CONFIG = `{
  "mcpServers": {
    "e2a": {
      "command": "e2a",
      "args": ["mcp"],
      "env": { "E2A_API_URL": "https://e2a.example.com", "E2A_API_KEY": "e2a_…" }
    }
  }
}`;

export function mcpCommand(program: Command, ctx: () => Context): void {
  program
    .command('mcp')
    .description('serve e2a tools to an MCP client over stdio (key and URL from `e2a login` or E2A_API_KEY / E2A_API_URL)')
    .addHelpText('after', `\nAn MCP client config that starts it:\n${CLIENT_CONFIG}\n\nAn agent-scoped key gives the mailbox tools for its agent only; an account key adds agents,\nprotection, reviews, webhooks and events (set E2A_AGENT_EMAIL for a default mailbox).`)
    .action(async () => {
      const client = ctx().client();
      // The MCP SDK is loaded only for this command: every other command (and --help) starts without it.
      const { serveStdio } = await import('@e2a/sdk/mcp');
      const served = await serveStdio(client, { defaultAgent: client.agent });
      const who = served.identity.scope === 'agent' ? `agent ${served.identity.agent_address}` : `account ${served.identity.email}`;
      process.stderr.write(`e2a mcp: ${served.tools.length} tools for ${who} on ${client.http.baseUrl}, over stdio\n`);
      await served.closed;
    });
}
