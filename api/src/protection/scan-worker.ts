/** Worker entry (content-scanner.ts): scans one large message's text off the event loop. */
import type { Protection } from '@e2a/sdk/wire';
import { scanContent, type ScanHit, type ScanInput } from './content-scan.js';

export default function scan(task: { input: ScanInput; sensitivity: Protection['content_scan']['sensitivity'] }): ScanHit[] {
  return scanContent(task.input, task.sensitivity);
}
