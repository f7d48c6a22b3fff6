/**
 * The export archive's bytes: a POSIX tar (ustar, with PAX headers for long names), written by
 * tar-stream. A tar archive is its entries one after another and then two zero blocks, so an
 * archive built a batch at a time is the concatenation of each batch's entries, the last batch
 * carrying the end marker: that is what lets the export job commit the archive chunk by chunk and
 * resume after a crash at the last committed chunk (docs/DATA.md "Export").
 *
 * Plain tar, not gzip: the .eml files inside must come out byte for byte, every tool reads tar, and
 * a download can be piped through any compressor the client likes.
 */
import tar from 'tar-stream';

export interface ArchiveEntry {
  /** Path inside the archive, `/`-separated (archivePath builds the pieces). */
  name: string;
  body: Buffer;
  mtime: Date;
}

/** tar's end-of-archive marker: two 512-byte zero blocks (POSIX.1-2001 ustar). */
const END_OF_ARCHIVE = 1024;

/** The tar bytes of `entries`, in order; with `last`, the end-of-archive marker after them. */
export async function tarPiece(entries: readonly ArchiveEntry[], opts: { last: boolean }): Promise<Buffer> {
  const pack = tar.pack();
  const out: Buffer[] = [];
  const drained = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) out.push(chunk);
  })();
  for (const entry of entries) {
    pack.entry({ name: entry.name, size: entry.body.length, mtime: entry.mtime, mode: 0o644, type: 'file', uname: 'e2a', gname: 'e2a' }, entry.body);
  }
  pack.finalize();
  await drained;
  const bytes = Buffer.concat(out);
  if (opts.last) return bytes;
  // Every piece but the last leaves the marker off, so the next piece's entries follow directly.
  const body = bytes.subarray(0, bytes.length - END_OF_ARCHIVE);
  if (bytes.subarray(body.length).some((b) => b !== 0)) throw new Error('tar piece does not end with the end-of-archive marker');
  return body;
}

/**
 * One path segment from a stored value (an address, an id): no separator, no `..`, nothing a
 * careless extractor could take outside the archive's folder.
 */
export function pathSegment(value: string): string {
  const safe = value.replace(/[/\\\0]/g, '_').replace(/^\.+/, '_');
  return safe === '' ? '_' : safe;
}

/** `e2a-export-<id>/<parts…>`: everything under one folder, so extracting never spills into the current one. */
export function archivePath(exportId: string, ...parts: string[]): string {
  return [`e2a-export-${pathSegment(exportId)}`, ...parts.map(pathSegment)].join('/');
}

/** Pretty JSON with a final newline: the archive is for people as much as for programs. */
export function jsonFile(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
}
