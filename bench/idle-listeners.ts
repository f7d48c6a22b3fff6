/**
 * Idle WebSocket clients for the load children (delivery-load.ts, listeners-load.ts): open many,
 * a bounded number of handshakes at a time, each counted once the server's first frame is `ready`;
 * then hold them without a frame until they are closed.
 */
import WebSocket from 'ws';

export interface OpenedListeners {
  requested: number;
  ready: number;
  failures: string[];
  elapsedMs: number;
}

/** Opens one client per URL, `inFlight` handshakes at a time; the open ones are added to `into`. */
export async function openIdleListeners(urls: string[], headers: Record<string, string>, inFlight: number, into: WebSocket[]): Promise<OpenedListeners> {
  const started = performance.now();
  const failures: string[] = [];
  let ready = 0;
  let next = 0;
  const one = (url: string) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(url, { headers });
      const fail = (why: string) => {
        if (failures.length < 20) failures.push(why);
        resolve();
      };
      ws.once('error', (err) => fail(err.message));
      ws.once('close', (code, reason) => fail(`closed ${code} ${reason.toString()}`));
      ws.once('message', (data) => {
        const frame = JSON.parse(data.toString()) as { type: string };
        if (frame.type !== 'ready') return fail(`first frame ${frame.type}`);
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        ws.on('error', () => {});
        ready++;
        into.push(ws);
        resolve();
      });
    });
  const worker = async () => {
    while (next < urls.length) await one(urls[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, urls.length) }, worker));
  return { requested: urls.length, ready, failures, elapsedMs: performance.now() - started };
}

/** Closes (1000) and forgets every client in `all`; resolves when each has closed. */
export async function closeIdleListeners(all: WebSocket[]): Promise<number> {
  const closing = all.splice(0);
  await Promise.all(
    closing.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close(1000);
        }),
    ),
  );
  return closing.length;
}
