/** The CLI's version: the `version` of its own package.json (cli/package.json), beside src/ and dist/ alike. */
import { readFileSync } from 'node:fs';

export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
