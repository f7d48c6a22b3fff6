/**
 * The two secrets: the gateway-wide HMAC key (auth claims are signed per account instead:
 * accounts/claims-keys.ts) and the AES key that seals data at rest.
 * Production takes both from config (config.ts refuses placeholders). In development, a missing one
 * is generated once and kept in the settings table, so every process on the same database agrees
 * and a restart keeps old data readable. That stores the key beside the data: fine for a laptop,
 * never for production.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { decodeKey } from '../config.js';
import type { Database } from '../db/database.js';

export interface Secrets {
  hmacSecret: string;
  /** Current first, then previous ones still accepted during a rotation. */
  hmacSecrets: string[];
  encryptionKey: Buffer;
  generated: Array<'signing.hmac_secret' | 'storage.encryption_key'>;
}

async function getOrCreate(db: Database, key: string, make: () => string): Promise<string> {
  await db.insertInto('settings').values({ key, value: make() }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirstOrThrow();
  return row.value;
}

export async function resolveSecrets(db: Database, config: Config): Promise<Secrets> {
  const generated: Secrets['generated'] = [];
  let hmacSecret = config.signing.hmac_secret;
  if (hmacSecret === '') {
    hmacSecret = await getOrCreate(db, 'dev.signing.hmac_secret', () => randomBytes(32).toString('base64url'));
    generated.push('signing.hmac_secret');
  }
  let keyText = config.storage.encryption_key;
  if (keyText === '') {
    keyText = await getOrCreate(db, 'dev.storage.encryption_key', () => randomBytes(32).toString('base64'));
    generated.push('storage.encryption_key');
  }
  return {
    hmacSecret,
    hmacSecrets: [hmacSecret, ...config.signing.previous_hmac_secrets],
    encryptionKey: decodeKey(keyText)!,
    generated,
  };
}
