/**
 * The clients of `bench listeners`, run as a child process so that neither server's process holds
 * them: opens idle WebSocket listeners on command and holds them until told to close them.
 */
import type WebSocket from 'ws';
import { closeIdleListeners, openIdleListeners, type OpenedListeners } from './idle-listeners.js';
import { onParentCommand } from './load-child.js';

export type ClientCommand =
  | { type: 'open'; urls: string[]; headers: Record<string, string>; inFlight: number }
  | { type: 'close' }
  | { type: 'exit' };

export type ClientEvent = ({ type: 'opened' } & OpenedListeners) | { type: 'closed'; closed: number };

const open: WebSocket[] = [];

function emit(event: ClientEvent): void {
  process.send!(event);
}

onParentCommand<ClientCommand>('listeners-load', async (cmd) => {
  switch (cmd.type) {
    case 'open':
      return emit({ type: 'opened', ...(await openIdleListeners(cmd.urls, cmd.headers, cmd.inFlight, open)) });
    case 'close':
      return emit({ type: 'closed', closed: await closeIdleListeners(open) });
    case 'exit':
      process.exit(0);
  }
});
