/**
 * RFC 5322 §2.3 and RFC 5321 §2.3.8: lines end in CRLF, and CR and LF appear only together. Mail from
 * the wild still arrives with bare LF (Unix tools) or bare CR (classic Mac) line ends. Everything
 * downstream (the header scan, sanitising, MIME parsing, readers) splits on CRLF or LF, so a CR-only
 * message read as one enormous header line and was stored without its headers and body.
 *
 * Normalised as Postfix does in effect: a bare LF ends a line; a bare CR ends one only in a message
 * that has no LF at all. A stray CR inside an otherwise CRLF or LF message stays as it is (turning it
 * into a line break could end a header section early, e.g. `\r\r\n`); the header sanitiser already
 * treats one as a possible line break when looking for smuggled fields. DKIM is verified before this,
 * on the bytes as received.
 */

const CR = 0x0d;
const LF = 0x0a;

/** The message with CRLF line ends; the same Buffer when it already has them. */
export function toCrlf(raw: Buffer): Buffer {
  const firstLf = raw.indexOf(LF);
  // Over SMTP even a CR-only message ends in one CRLF: the one before the DATA terminator's dot.
  const endsInCrlf = raw.length >= 2 && raw[raw.length - 2] === CR && raw[raw.length - 1] === LF;
  if (firstLf === -1 || (endsInCrlf && firstLf === raw.length - 1)) return crOnlyToCrlf(raw, endsInCrlf);
  let bare = 0;
  for (let i = firstLf; i !== -1; i = raw.indexOf(LF, i + 1)) if (i === 0 || raw[i - 1] !== CR) bare++;
  if (bare === 0) return raw;
  return insertBefore(raw, LF, (i) => (i === 0 || raw[i - 1] !== CR ? i : -1), 'before');
}

function crOnlyToCrlf(raw: Buffer, endsInCrlf: boolean): Buffer {
  const lines = endsInCrlf ? raw.subarray(0, raw.length - 2) : raw;
  if (lines.indexOf(CR) === -1) return raw;
  const out = insertBefore(lines, CR, (i) => i, 'after');
  // The transport's final CRLF ended the last line unless a CR already had.
  return endsInCrlf && lines[lines.length - 1] !== CR ? Buffer.concat([out, Buffer.from('\r\n')]) : out;
}

/**
 * Copies `raw`, adding the missing half of a line break at each `byte` that `at` accepts: a CR
 * before a bare LF, or an LF after a bare CR.
 */
function insertBefore(raw: Buffer, byte: number, at: (i: number) => number, side: 'before' | 'after'): Buffer {
  const positions: number[] = [];
  for (let i = raw.indexOf(byte); i !== -1; i = raw.indexOf(byte, i + 1)) if (at(i) !== -1) positions.push(i);
  const out = Buffer.allocUnsafe(raw.length + positions.length);
  let from = 0;
  let to = 0;
  for (const i of positions) {
    const cut = side === 'before' ? i : i + 1;
    to += raw.copy(out, to, from, cut);
    out[to++] = side === 'before' ? CR : LF;
    from = cut;
  }
  raw.copy(out, to, from);
  return out;
}
