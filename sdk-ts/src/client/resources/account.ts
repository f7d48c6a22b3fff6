import type { AccountExport, AccountExportPage, AccountRetention, ClaimsKey, Erasure, ErasurePage, ScheduledErasure } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import type { PageParams } from '../pagination.js';

/** The account's own settings that are not a resource list: its claims key, its retention. */
export class AccountResource {
  constructor(private readonly http: HttpClient) {}

  /**
   * The keys that verify this account's X-E2A-Auth-* claims (account and agent keys may read them):
   *
   *   const { verification_keys } = await e2a.account.claimsKey();
   *   await verifyAuthClaims(message.auth_claims, verification_keys, { body });
   */
  claimsKey(): Promise<ClaimsKey> {
    return this.http.request('GET', '/v1/account/claims-key');
  }

  /** A new claims key; the previous one still verifies for 24 hours. Account keys only. */
  rotateClaimsKey(): Promise<ClaimsKey> {
    return this.http.request('POST', '/v1/account/claims-key/rotate');
  }

  /** How long the account keeps mail (docs/RETENTION.md), and the server's restore period for the trash. */
  retention(): Promise<AccountRetention> {
    return this.http.request('GET', '/v1/account/retention');
  }

  /** `setRetention(90)` keeps mail 90 days, then trashes it; `null` keeps it forever. Account keys only. */
  setRetention(days: number | null): Promise<AccountRetention> {
    return this.http.request('PUT', '/v1/account/retention', { body: { retention_days: days } });
  }

  /**
   * Starts an export of everything the account holds (docs/DATA.md); one runs at a time, so a second
   * call answers with the running one. Account keys only.
   *
   *   let job = await e2a.account.export();
   *   while (job.status === 'queued' || job.status === 'running') job = await e2a.account.getExport(job.id);
   *   const tar = await e2a.account.downloadExport(job.id);
   */
  export(): Promise<AccountExport> {
    return this.http.request('POST', '/v1/account/export');
  }

  /** An export's status and progress (`messages_done` of `messages_total`). */
  getExport(id: string): Promise<AccountExport> {
    return this.http.request('GET', `/v1/account/exports/${encodeURIComponent(id)}`);
  }

  listExports(params: PageParams = {}): Promise<AccountExportPage> {
    return this.http.request('GET', '/v1/account/exports', { query: params });
  }

  /** A finished export's tar archive, whole in memory; `downloadExportStream` for big accounts. */
  downloadExport(id: string): Promise<Uint8Array> {
    return this.http.request('GET', `/v1/account/exports/${encodeURIComponent(id)}/download`, { raw: true });
  }

  /** A finished export's tar archive as a stream (the Response; read `body`), for writing to a file. */
  downloadExportStream(id: string): Promise<Response> {
    return this.http.request('GET', `/v1/account/exports/${encodeURIComponent(id)}/download`, { stream: true });
  }

  /**
   * Deletes the account and everything of it, after the server's grace period; disabled at once.
   * `confirm` must be the account's email. Keep the answer's `cancel_token`: with the account's keys
   * disabled, `cancelDeletion(id, token)` is the only way back (it is also mailed to the account).
   */
  delete(opts: { confirm: string }): Promise<ScheduledErasure> {
    return this.http.request('DELETE', '/v1/account', { query: { confirm: opts.confirm } });
  }

  /** Cancels a deletion (an agent's or the account's) during its grace period; needs no valid key. */
  cancelDeletion(id: string, token: string): Promise<Erasure> {
    return this.http.request('POST', `/v1/erasures/${encodeURIComponent(id)}/cancel`, { body: { token } });
  }

  /** The account's deletions of agents and what each erased, table by table. */
  listErasures(params: PageParams = {}): Promise<ErasurePage> {
    return this.http.request('GET', '/v1/account/erasures', { query: params });
  }

  getErasure(id: string): Promise<Erasure> {
    return this.http.request('GET', `/v1/account/erasures/${encodeURIComponent(id)}`);
  }

  /** Cancels an agent's deletion during its grace period, with an account key. */
  cancelErasure(id: string): Promise<Erasure> {
    return this.http.request('POST', `/v1/account/erasures/${encodeURIComponent(id)}/cancel`);
  }
}
