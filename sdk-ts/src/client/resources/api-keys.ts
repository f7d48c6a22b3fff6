import type { ApiKeyPage, CreateApiKeyRequest, CreatedApiKey } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import type { PageParams } from '../pagination.js';

export class ApiKeysResource {
  constructor(private readonly http: HttpClient) {}

  list(params: PageParams = {}): Promise<ApiKeyPage> {
    return this.http.request('GET', '/v1/account/api-keys', { query: params });
  }

  /** The key itself is in this response only. */
  create(body: CreateApiKeyRequest): Promise<CreatedApiKey> {
    return this.http.request('POST', '/v1/account/api-keys', { body });
  }

  revoke(id: string): Promise<void> {
    return this.http.request('DELETE', `/v1/account/api-keys/${encodeURIComponent(id)}`);
  }
}
