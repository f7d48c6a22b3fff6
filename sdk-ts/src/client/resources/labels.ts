import type { LabelList } from '../../wire/index.js';
import type { HttpClient } from '../http.js';

const enc = encodeURIComponent;

/**
 * An agent's labels (docs/LABELS.md). Labels are put on and taken off with
 * `messages.updateLabels` and `conversations.updateLabels`; a label is created on first use.
 */
export class LabelsResource {
  constructor(private readonly http: HttpClient) {}

  /** The system labels (unread, sent, trash), then the agent's own by name, each with its counts. */
  list(agent: string): Promise<LabelList> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/labels`);
  }

  /** Deletes a label of the agent: it leaves every message and conversation it was on. */
  delete(agent: string, name: string): Promise<void> {
    return this.http.request('DELETE', `/v1/agents/${enc(agent)}/labels/${enc(name)}`);
  }
}
