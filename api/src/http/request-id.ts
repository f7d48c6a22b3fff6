/** Request ids: the one in X-Request-Id when it is safe to echo, else a fresh `req_…`. */
import { randomToken } from '../ids.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFor(incoming: string | undefined): string {
  return incoming && REQUEST_ID.test(incoming) ? incoming : `req_${randomToken(12)}`;
}
