/** Opening a URL in the user's browser with the platform's opener (open, start, xdg-open). */
import { spawn } from 'node:child_process';
import { EXIT } from './exit-codes.js';
import { CliError } from './failure.js';

/** How long an opener that has not exited is taken to have worked (some stay until the browser closes). */
const OPENER_GRACE_MS = 3000;

/** The platform's "open this URL" command; rejects with the reason if it cannot be run or exits with an error. */
export function openInBrowser(url: string): Promise<void> {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  return new Promise((resolve, reject) => {
    const failed = (why: string) => reject(new CliError(`could not open a browser (${cmd}: ${why}); open the URL above yourself`, EXIT.other));
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      child.unref();
      resolve();
    }, OPENER_GRACE_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      failed(err.message);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else failed(signal ? `killed by ${signal}` : `exit status ${code}`);
    });
  });
}
