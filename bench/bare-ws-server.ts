/**
 * `bench listeners`' reference server, run as a child process: a bare `ws` server with ws's defaults
 * (no permessage-deflate) on node:http, which takes any upgrade, sends the one frame the gateway's
 * listeners wait for and holds the socket. Memory figures and heap snapshots come from
 * listeners-probe.ts, as for the gateway.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import './listeners-probe.js';

export type BareCommand = { type: 'listeners' } | { type: 'exit' };
export type BareEvent = { type: 'started'; port: number } | { type: 'listeners'; listeners: number };

const http = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server: http });
wss.on('connection', (ws) => ws.send('{"type":"ready"}'));

function emit(event: BareEvent): void {
  process.send!(event);
}

process.on('message', (cmd: BareCommand) => {
  if (cmd.type === 'listeners') emit({ type: 'listeners', listeners: wss.clients.size });
  else if (cmd.type === 'exit') process.exit(0);
});
http.listen(0, '127.0.0.1', () => emit({ type: 'started', port: (http.address() as AddressInfo).port }));
