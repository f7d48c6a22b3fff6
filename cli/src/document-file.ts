/** A JSON or YAML document from a file (- for stdin), for the commands that take `--file`. */
import { readFileSync } from 'node:fs';
import { EXIT } from './exit-codes.js';
import { CliError } from './failure.js';

/**
 * The object in `path`; a usage error naming the file otherwise. `example` is what the message
 * shows when the file holds something other than an object (an array, a bare value).
 */
export async function readObjectFile(path: string, what: string, example: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
  let doc: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both. Loaded here, not at start, so that every
    // other command (and --help) starts without it.
    const { parse } = await import('yaml');
    doc = parse(text);
  } catch (err) {
    throw new CliError(`${path} is not JSON or YAML: ${(err as Error).message.split('\n')[0]}`, EXIT.usage);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CliError(`${path} must hold ${what} object, e.g. ${example}`, EXIT.usage);
  }
  return doc as Record<string, unknown>;
}
