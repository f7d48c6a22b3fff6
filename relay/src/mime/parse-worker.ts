/** Worker entry (message-parser.ts): parses one large message off the event loop. */
import { parseMessage, type ParsedMessage } from './parse.js';

export default function parse(raw: Uint8Array): Promise<ParsedMessage> {
  return parseMessage(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
}
