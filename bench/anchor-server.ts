/**
 * The inbound bench's anchors (`--anchors`), run as a child process so that its CPU is its own: a
 * plain smtp-server that accepts and discards every message, or the same server running mailauth's
 * SPF/DKIM/DMARC verification of every message before its 250, with the fake DNS the bench gives
 * the gateway. Nothing is parsed or stored. What e2a costs per message is then read against what
 * the two libraries it is built on cost on the same machine in the same minute, a ratio that holds
 * when the machine is slower or busier than usual and absolute figures do not.
 */
import { createFakeResolver, type DkimKey } from '@e2a/relay/testing';
import { authenticate } from 'mailauth';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { cpuSince, markCpu, type CpuMark } from './cpu-usage.js';
import { onParentCommand } from './load-child.js';

export type AnchorKind = 'bare' | 'mailauth';

export type AnchorCommand =
  | { type: 'start'; kind: AnchorKind; key: DkimKey; senderDomain: string }
  | { type: 'mark' }
  | { type: 'measure' }
  | { type: 'exit' };

/** Verification outcomes since the last mark (mailauth anchor only), to show the work was real. */
export interface AnchorVerdicts {
  messages: number;
  spfPass: number;
  dkimPass: number;
  dmarcPass: number;
}

export type AnchorEvent =
  | { type: 'listening'; port: number }
  | { type: 'marked' }
  | { type: 'measured'; processMs: number; verdicts: AnchorVerdicts };

const NO_VERDICTS: AnchorVerdicts = { messages: 0, spfPass: 0, dkimPass: 0, dmarcPass: 0 };
let verdicts: AnchorVerdicts = { ...NO_VERDICTS };
let mark: CpuMark | null = null;

function emit(event: AnchorEvent): void {
  process.send!(event);
}

function start(cmd: Extract<AnchorCommand, { type: 'start' }>): void {
  // The records bench-gateway.ts serves the gateway for the load generator's sender.
  const resolver = createFakeResolver({
    [cmd.senderDomain]: { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
    [`_dmarc.${cmd.senderDomain}`]: { TXT: ['v=DMARC1; p=reject'] },
    [cmd.key.dnsName]: { TXT: [cmd.key.txt] },
  });
  const verify = async (raw: Buffer, session: SMTPServerSession): Promise<void> => {
    // The options relay/src/auth/verify.ts gives mailauth for every inbound message.
    const result = await authenticate(raw, {
      ip: session.remoteAddress,
      helo: session.hostNameAppearsAs,
      sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      mta: 'mx.anchor.bench',
      resolver,
      trustReceived: false,
      disableBimi: true,
      rejectRsaSha1: true,
    } as Parameters<typeof authenticate>[1]);
    verdicts.messages++;
    if (result.spf && result.spf.status.result === 'pass') verdicts.spfPass++;
    if (result.dkim.results?.some((r) => r.status.result === 'pass')) verdicts.dkimPass++;
    if (result.dmarc && result.dmarc.status.result === 'pass') verdicts.dmarcPass++;
  };
  const server = new SMTPServer({
    // As the gateway's inbound server is set up (relay/src/inbound/server.ts), minus its policy hooks.
    name: 'mx.anchor.bench',
    banner: 'anchor',
    size: 25 * 1024 * 1024,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream: SMTPServerDataStream, session, callback) {
      if (cmd.kind === 'bare') {
        stream.on('end', () => callback());
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        verify(Buffer.concat(chunks), session).then(
          () => callback(),
          (err: unknown) => callback(Object.assign(new Error(`451 verification failed: ${(err as Error).message}`), { responseCode: 451 })),
        );
      });
    },
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.server.address();
    emit({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
  });
}

onParentCommand<AnchorCommand>('anchor-server', (cmd) => {
  switch (cmd.type) {
    case 'start':
      return start(cmd);
    case 'mark':
      verdicts = { ...NO_VERDICTS };
      mark = markCpu();
      return emit({ type: 'marked' });
    case 'measure':
      return emit({ type: 'measured', processMs: mark ? cpuSince(mark).processMs : Number.NaN, verdicts });
    case 'exit':
      process.exit(0);
  }
});
