/**
 * Requests Node's HTTP parser refuses before express sees them (a request line or headers over
 * the 16 KiB limit, a malformed request line, a request too slow to arrive) are answered with the
 * same error envelope as every other error, instead of Node's bare status line.
 */
import type { Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorCode } from '@e2a/sdk/wire';
import { AppError } from '../errors.js';
import { requestIdFor } from './request-id.js';

/** The answer to a parser error code, as Node itself would choose the status. */
function answerFor(code: string | undefined): AppError {
  if (code === 'HPE_HEADER_OVERFLOW') return new AppError('headers_too_large', 'the request line and headers are larger than 16 KiB: send long values in a JSON body');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new AppError('request_timeout', 'the request did not arrive in time; send it again');
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return new AppError('payload_too_large', 'chunk extensions are too large');
  return new AppError('bad_request', 'the request is not valid HTTP/1.1');
}

export function answerParserErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Node's own rule: answer only while nothing of a response has been written on this socket.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const error = answerFor(err.code);
    const id = requestIdFor(undefined);
    const body = JSON.stringify({ error: { code: error.code satisfies ErrorCode, message: error.message, request_id: id } });
    socket.end(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
