/**
 * One model session per e2a conversation, for `e2a listen --forward-format responses`.
 *
 * The session key is `<agent address> <e2a conversation id>`. Its value is the `id` of the model's
 * last answer in that conversation, sent as the Responses API's `previous_response_id` with the
 * next mail of the same thread: the model sees the thread, and each correspondent (another agent, a
 * person) has a session of its own that no other thread's mail is injected into. Every turn still
 * carries the instructions and the untrusted-email fence (forward.ts): a session never makes mail
 * trusted.
 *
 * Kept in `<config dir>/model-sessions.json` (config-store.ts), so a restarted listener continues
 * each conversation; written whole to a temporary file and renamed over the old one, so a crash
 * leaves the old file or the new one, never half of one. At most MAX_SESSIONS conversations, the
 * least recently answered forgotten first (a forgotten conversation starts a new session).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDir } from './config-store.js';

export const MAX_SESSIONS = 1000;

interface Entry {
  response_id: string;
  /** When the model last answered in the conversation (ms since the epoch), for forgetting the oldest. */
  at: number;
}

export class ModelSessions {
  private readonly file: string;
  private readonly entries: Map<string, Entry>;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.file = join(configDir(env), 'model-sessions.json');
    this.entries = new Map(Object.entries(readEntries(this.file)).sort(([, a], [, b]) => a.at - b.at));
  }

  static key(agent: string, conversationId: string): string {
    return `${agent.toLowerCase()} ${conversationId}`;
  }

  /** The last answer's id in the conversation, if the model has answered in it before. */
  previous(key: string): string | undefined {
    return this.entries.get(key)?.response_id;
  }

  remember(key: string, responseId: string): void {
    this.entries.delete(key);
    this.entries.set(key, { response_id: responseId, at: Date.now() });
    // Map keeps insertion order: the first keys are the least recently answered.
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= MAX_SESSIONS) break;
      this.entries.delete(oldest);
    }
    this.save();
  }


  private save(): void {
    mkdirSync(join(this.file, '..'), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(Object.fromEntries(this.entries), null, 1)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}

/** The stored sessions; a missing file is none, and so is an unreadable one (the sessions start over, which loses no mail). */
function readEntries(file: string): Record<string, Entry> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') process.stderr.write(`e2a: ignoring ${file} (${(err as Error).message}): model sessions start over\n`);
    return {};
  }
  const out: Record<string, Entry> = {};
  if (parsed && typeof parsed === 'object') {
    for (const [key, value] of Object.entries(parsed)) {
      const v = value as Partial<Entry> | null;
      if (v && typeof v.response_id === 'string' && typeof v.at === 'number') out[key] = { response_id: v.response_id, at: v.at };
    }
  }
  return out;
}
