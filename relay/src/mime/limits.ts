/**
 * Limits on the shape of a message, checked before anything expensive reads it: mailauth's header
 * parser is quadratic in folded lines (75,000 of them held the event loop for 30 s) and MIME parsers
 * do work per part and per level. Over a limit the message is refused at the end of DATA with a
 * reply naming the limit (docs/ARCHITECTURE.md, "Message limits"), so the sender gets a bounce
 * that says what to change; nothing is stored half-parsed, which would hide content from the scan.
 */
import type { Transform } from 'node:stream';
import { Splitter } from '@zone-eu/mailsplit';
import type { SmtpReply } from '../smtp-reply.js';
import { headerTooBig, mimeTooComplex } from '../smtp-reply.js';
import { scanHeaderSection } from './header-section.js';

export interface MessageLimits {
  /** Bytes of any header section, the message's and each MIME part's (Exchange Online: 256 KB). */
  maxHeaderBytes: number;
  /** Lines of the message's header section, folds included (Gmail: 5,000 header fields). */
  maxHeaderLines: number;
  /** MIME nesting, the message itself being level 1 (Postfix mime_nesting_limit: 100). */
  maxMimeDepth: number;
  /** MIME parts, multipart containers included (Exchange Online: 250 body parts). */
  maxMimeParts: number;
}

/** The defaults of smtp.max_header_bytes and friends; docs/OPERATIONS.md says why each. */
export const DEFAULT_MESSAGE_LIMITS: MessageLimits = {
  maxHeaderBytes: 256 * 1024,
  maxHeaderLines: 5000,
  maxMimeDepth: 32,
  maxMimeParts: 1000,
};

export type MessageLimit = 'header_bytes' | 'header_lines' | 'mime_depth' | 'mime_parts';

export interface LimitBreach {
  limit: MessageLimit;
  reply: SmtpReply;
}

/** What the structure check saw of a message within the limits. */
export interface MessageShape {
  /** Bytes of text parts' bodies as sent (still transfer-encoded): what decoding and scanning cost grows with. */
  textBytes: number;
}

export type LimitCheck = { ok: true; shape: MessageShape } | ({ ok: false } & LimitBreach);

const LF = 0x0a;

/** The message's own header section against the header limits: one linear pass over its bytes. */
export function checkHeaderSection(raw: Buffer, limits: MessageLimits): LimitBreach | null {
  const { separatorStart } = scanHeaderSection(raw);
  if (separatorStart > limits.maxHeaderBytes) {
    return { limit: 'header_bytes', reply: headerTooBig(`is over ${limits.maxHeaderBytes} bytes`) };
  }
  let lines = 0;
  for (let at = raw.indexOf(LF); at !== -1 && at < separatorStart; at = raw.indexOf(LF, at + 1)) lines++;
  if (separatorStart === raw.length && raw.length > 0 && raw[raw.length - 1] !== LF) lines++;
  if (lines > limits.maxHeaderLines) {
    return { limit: 'header_lines', reply: headerTooBig(`has over ${limits.maxHeaderLines} lines`) };
  }
  return null;
}

/**
 * The MIME structure against the part limits, read by mailsplit (the splitter mailparser itself
 * uses, so both see the same parts). It yields to the event loop every 16 KiB and stops at the
 * first breach. Within the limits it reports the message's shape.
 */
export function checkMimeStructure(raw: Buffer, limits: MessageLimits): Promise<LimitCheck> {
  return new Promise((resolve) => {
    // maxChildNodes counts every node, the root too; maxHeadSize counts the empty line that ends a
    // header, which our byte limit does not. Its typings declare only 'data'; it is a Transform.
    const splitter = new Splitter({ maxHeadSize: limits.maxHeaderBytes + 2, maxChildNodes: limits.maxMimeParts }) as unknown as Transform;
    const depths = new WeakMap<object, number>();
    let textBytes = 0;
    let settled = false;
    const finish = (check: LimitCheck): void => {
      if (settled) return;
      settled = true;
      resolve(check);
      if (!check.ok) splitter.destroy();
    };
    splitter.on('data', (chunk: { type: string; parentNode?: object | false; node?: { contentType?: string | false }; value?: Buffer }) => {
      // RFC 2045 §5.2: a part without a Content-Type is text/plain.
      const type = chunk.node?.contentType;
      if (chunk.type === 'body' && (!type || type.startsWith('text/'))) {
        textBytes += chunk.value?.length ?? 0;
        return;
      }
      if (chunk.type !== 'node') return;
      const depth = chunk.parentNode ? (depths.get(chunk.parentNode) ?? 1) + 1 : 1;
      depths.set(chunk, depth);
      if (depth > limits.maxMimeDepth) finish({ ok: false, limit: 'mime_depth', reply: mimeTooComplex(`nests parts deeper than ${limits.maxMimeDepth} levels`) });
    });
    splitter.once('end', () => finish({ ok: true, shape: { textBytes } }));
    splitter.once('error', (err: Error & { code?: string }) => {
      if (err.code === 'EMAXLEN' && /child nodes/i.test(err.message)) {
        finish({ ok: false, limit: 'mime_parts', reply: mimeTooComplex(`has over ${limits.maxMimeParts} parts`) });
      } else if (err.code === 'EMAXLEN') {
        finish({ ok: false, limit: 'header_bytes', reply: headerTooBig(`of a MIME part is over ${limits.maxHeaderBytes} bytes`) });
      } else {
        // Anything else is broken MIME, which the parser's fallback stores as text (parse.ts):
        // count it all as text, which is what that fallback makes of it.
        finish({ ok: true, shape: { textBytes: raw.length } });
      }
    });
    splitter.end(raw);
  });
}

/** Both checks, header first (it is synchronous and cheaper). */
export async function checkMessageLimits(raw: Buffer, limits: MessageLimits): Promise<LimitCheck> {
  const header = checkHeaderSection(raw, limits);
  return header ? { ok: false, ...header } : checkMimeStructure(raw, limits);
}
