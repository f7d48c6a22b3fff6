/**
 * The tools over stdio, for MCP clients that start a local process (`e2a mcp`). Node only. stdout
 * carries the protocol and nothing else; anything for people goes to stderr.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { E2A } from '../client/client.js';
import { createE2AMcpServer, type E2AMcpServerOptions } from './server.js';
import type { Identity } from './tools.js';
import type { ToolName } from './tool-names.js';

export interface StdioServing {
  identity: Identity;
  tools: ToolName[];
  /** Resolves when the client goes away (stdin ends) or the transport closes. */
  closed: Promise<void>;
}

export async function serveStdio(client: E2A, options: E2AMcpServerOptions = {}, io: { stdin: Readable; stdout: Writable } = { stdin: process.stdin, stdout: process.stdout }): Promise<StdioServing> {
  const { server, identity, tools } = await createE2AMcpServer(client, options);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  // The stdio transport does not watch for end of input; without this the process would linger
  // after its client exits.
  io.stdin.once('end', () => void server.close());
  await server.connect(new StdioServerTransport(io.stdin, io.stdout));
  return { identity, tools, closed };
}
