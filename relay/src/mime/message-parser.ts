/**
 * Parses a message, in a worker thread when its text is large. Nearly all mail parses on the event
 * loop, where parsing is linear and a few milliseconds at most. mailparser decodes and joins each
 * text part in one step (~15 ms per MB, HTML-to-text more), so from `offThreadFromTextBytes` of
 * text parts on, the message is copied to a thread instead. Attachments do not count: mailparser
 * decodes them in 16 KiB steps, and copying a 20 MiB attachment to a thread and back costs more
 * (time and a second copy in memory) than it saves.
 */
import { createWorkerPool, isTimeout } from '../worker-pool.js';
import type { ParsedMessage } from './parse.js';
import { parseMessage } from './parse.js';

export interface MessageParser {
  /** `textBytes`: the size of the message's text parts (checkMessageLimits measures it). */
  parse(raw: Buffer, textBytes: number): Promise<ParsedMessage>;
  close(): Promise<void>;
}

export interface MessageParserOptions {
  /** Messages with this many bytes of text parts or more are parsed in a worker thread (default 512 KiB). */
  offThreadFromTextBytes?: number;
  /** Time budget for parsing one message in the thread (default 30 s); past it, ParseTimeoutError. */
  timeoutMs?: number;
}

/** Parsing did not finish within its budget; the pipeline answers 451 so the sender retries. */
export class ParseTimeoutError extends Error {
  override name = 'ParseTimeoutError';
}

/**
 * 512 KiB: an HTML part of that size (200,000 nested elements took 150 ms for 2.2 MB) converts to
 * text in ~35 ms on the loop; larger ones cost more than the copy to a thread (~1 ms per MB).
 */
const OFF_THREAD_FROM_TEXT_BYTES = 512 * 1024;

export function createMessageParser(options: MessageParserOptions = {}): MessageParser {
  const offThreadFromTextBytes = options.offThreadFromTextBytes ?? OFF_THREAD_FROM_TEXT_BYTES;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pool = createWorkerPool(new URL(`./parse-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
  return {
    async parse(raw, textBytes) {
      if (textBytes < offThreadFromTextBytes) return parseMessage(raw);
      let parsed: ParsedMessage;
      try {
        parsed = (await pool.run(raw, { signal: AbortSignal.timeout(timeoutMs) })) as ParsedMessage;
      } catch (err) {
        if (isTimeout(err)) throw new ParseTimeoutError(`parsing took longer than ${timeoutMs} ms`, { cause: err });
        throw err;
      }
      // Buffers cross the thread as plain Uint8Arrays.
      return { ...parsed, attachments: parsed.attachments.map((a) => ({ ...a, content: asBuffer(a.content) })) };
    },
    close: () => pool.destroy(),
  };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
