/**
 * @e2a/sdk/mcp — e2a's tools for MCP clients. A separate entry point so that browser users of the
 * SDK do not load the MCP SDK.
 *
 *   const { server } = await createE2AMcpServer(new E2A({ apiKey }));
 *   await server.connect(new StdioServerTransport());
 */
export { createE2AMcpServer, type E2AMcpServer, type E2AMcpServerOptions } from './server.js';
export { registerE2ATools, type Identity, type RegisterOptions } from './tools.js';
export { ACCOUNT_TOOLS, AGENT_TOOLS, type AccountToolName, type AgentToolName, type ToolName } from './tool-names.js';
export { serveStdio, type StdioServing } from './stdio.js';
