import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, configEnvNames, loadConfig } from './config.js';

describe('config', () => {
  it('works with no file and no env, on development defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      env: 'development',
      data_dir: './data',
      http: { listen_addr: '127.0.0.1:8080' },
      smtp: { listen_addr: '127.0.0.1:2525', max_message_bytes: 25 * 1024 * 1024 },
      database: { url: '' },
    });
    expect(Object.isFrozen(config.smtp)).toBe(true);
  });

  it('reads every documented E2A_* variable', () => {
    const config = loadConfig({
      env: {
        E2A_DATA_DIR: '/var/lib/e2a',
        E2A_DATABASE_URL: 'postgres://u@db:5432/e2a',
        E2A_HTTP_LISTEN_ADDR: '0.0.0.0:80',
        E2A_SMTP_LISTEN_ADDR: '[::]:25',
        E2A_DNS_SERVERS: '127.0.0.1:5353, 10.0.0.2',
        E2A_SHARED_DOMAIN: 'agents.example.com',
        E2A_SIGNING_HMAC_SECRET: 's3cret',
        E2A_PUBLIC_URL: 'https://e2a.example.com',
        E2A_SMTP_MAX_MESSAGE_BYTES: '1048576',
      },
    });
    expect(config).toMatchObject({
      data_dir: '/var/lib/e2a',
      database: { url: 'postgres://u@db:5432/e2a' },
      http: { listen_addr: '0.0.0.0:80' },
      smtp: { listen_addr: '[::]:25', max_message_bytes: 1048576 },
      dns: { servers: ['127.0.0.1:5353', '10.0.0.2'] },
      shared_domain: 'agents.example.com',
      signing: { hmac_secret: 's3cret' },
      public_url: 'https://e2a.example.com',
    });
  });

  it('lets env override the file named by E2A_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2a-config-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'shared_domain: file.example.com\nsmtp:\n  listen_addr: 127.0.0.1:2626\n  hostname: mx.file.example.com\n');
    const config = loadConfig({ env: { E2A_CONFIG: file, E2A_SMTP_LISTEN_ADDR: '127.0.0.1:2727' } });
    expect(config).toMatchObject({ shared_domain: 'file.example.com', smtp: { listen_addr: '127.0.0.1:2727', hostname: 'mx.file.example.com' }, configFile: file });
  });

  it.each([
    [{ E2A_HTTP_LISTEN_ADDR: 'nonsense' }, 'http.listen_addr (env E2A_HTTP_LISTEN_ADDR)'],
    [{ E2A_SMTP_LISTEN_ADDR: '127.0.0.1:99999' }, 'smtp.listen_addr (env E2A_SMTP_LISTEN_ADDR)'],
    [{ E2A_DATABASE_URL: 'mysql://x' }, 'database.url (env E2A_DATABASE_URL)'],
    [{ E2A_DNS_SERVERS: '1.1.1.1:53,bad host:x' }, 'dns.servers (env E2A_DNS_SERVERS)'],
    [{ E2A_SHARED_DOMAIN: 'Not A Domain' }, 'shared_domain (env E2A_SHARED_DOMAIN)'],
    [{ E2A_PUBLIC_URL: 'not a url' }, 'public_url (env E2A_PUBLIC_URL)'],
    [{ E2A_SMTP_MAX_MESSAGE_BYTES: 'lots' }, 'smtp.max_message_bytes (env E2A_SMTP_MAX_MESSAGE_BYTES)'],
    [{ E2A_STORAGE_ENCRYPTION_KEY: 'too-short' }, 'storage.encryption_key (env E2A_STORAGE_ENCRYPTION_KEY)'],
    [{ E2A_SMTP_TLS_CERT_FILE: '/etc/ssl/mx.crt' }, 'smtp.tls_cert_file and smtp.tls_key_file (env E2A_SMTP_TLS_CERT_FILE, E2A_SMTP_TLS_KEY_FILE)'],
    [{ E2A_SMTP_TLS_KEY_FILE: '/etc/ssl/mx.key' }, 'smtp.tls_cert_file and smtp.tls_key_file (env E2A_SMTP_TLS_CERT_FILE, E2A_SMTP_TLS_KEY_FILE)'],
    [{ E2A_SMTP_TLS_WATCH_INTERVAL_MS: '10' }, 'smtp.tls_watch_interval_ms (env E2A_SMTP_TLS_WATCH_INTERVAL_MS)'],
  ])('names the bad key in one line: %o', (env, named) => {
    let error: unknown;
    try {
      loadConfig({ env });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(named);
    expect((error as Error).message).not.toContain('\n');
  });

  it('outbound_smtp.mode none means outbox in development only; production captures only when told', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(loadConfig({ env: {} }).outbound_smtp.mode).toBe('outbox');
    expect(loadConfig({ env: { E2A_OUTBOUND_SMTP_MODE: 'none' } }).outbound_smtp.mode).toBe('outbox');
    expect(loadConfig({ env: { E2A_ENV: 'test' } }).outbound_smtp.mode).toBe('none');
    // Production with no explicit choice: none, so mail to outside addresses fails with a reason.
    expect(loadConfig({ env: { E2A_ENV: 'production', E2A_STORAGE_ENCRYPTION_KEY: key } }).outbound_smtp.mode).toBe('none');
    expect(loadConfig({ env: { E2A_ENV: 'production', E2A_STORAGE_ENCRYPTION_KEY: key, E2A_OUTBOUND_SMTP_MODE: 'none' } }).outbound_smtp.mode).toBe('none');
    expect(loadConfig({ env: { E2A_ENV: 'production', E2A_STORAGE_ENCRYPTION_KEY: key, E2A_OUTBOUND_SMTP_MODE: 'outbox' } }).outbound_smtp.mode).toBe('outbox');
    expect(loadConfig({ env: { E2A_OUTBOUND_SMTP_MODE: 'direct' } }).outbound_smtp.mode).toBe('direct');
  });

  it('refuses outbound_smtp.host with mode none, naming both keys', () => {
    for (const env of [{ E2A_OUTBOUND_SMTP_HOST: 'smtp.example.com' }, { E2A_OUTBOUND_SMTP_HOST: 'smtp.example.com', E2A_OUTBOUND_SMTP_MODE: 'none', E2A_ENV: 'test' }]) {
      expect(() => loadConfig({ env })).toThrow(ConfigError);
      expect(() => loadConfig({ env })).toThrow(/outbound_smtp\.mode and outbound_smtp\.host .*E2A_OUTBOUND_SMTP_MODE, E2A_OUTBOUND_SMTP_HOST.*set mode upstream/);
    }
    expect(loadConfig({ env: { E2A_OUTBOUND_SMTP_HOST: 'smtp.example.com', E2A_OUTBOUND_SMTP_MODE: 'upstream' } }).outbound_smtp.mode).toBe('upstream');
  });

  it('refuses placeholder secrets in production', () => {
    expect(() => loadConfig({ env: { E2A_ENV: 'production' } })).toThrow(/storage.encryption_key/);
    expect(() => loadConfig({ env: { E2A_ENV: 'production', E2A_SIGNING_HMAC_SECRET: 'change-me' } })).toThrow(/signing.hmac_secret/);
    // It signs nothing any more: left empty, only the encryption key is needed.
    expect(loadConfig({ env: { E2A_ENV: 'production', E2A_STORAGE_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') } }).env).toBe('production');
    expect(() => loadConfig({ env: { E2A_ENV: 'production', E2A_SIGNING_HMAC_SECRET: 'x'.repeat(40) } })).toThrow(/storage.encryption_key/);
    const ok = loadConfig({
      env: { E2A_ENV: 'production', E2A_SIGNING_HMAC_SECRET: 'x'.repeat(40), E2A_STORAGE_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') },
    });
    expect(ok.env).toBe('production');
  });

  it('refuses in production an encryption key that is the HMAC secret, another encoding of it, or a part of it', () => {
    const key = randomBytes(32);
    const b64 = key.toString('base64');
    const independent = randomBytes(36).toString('base64');
    const production = (hmac: string, encryption: string, previous = '') => () =>
      loadConfig({ env: { E2A_ENV: 'production', E2A_SIGNING_HMAC_SECRET: hmac, E2A_STORAGE_ENCRYPTION_KEY: encryption, E2A_SIGNING_PREVIOUS_HMAC_SECRETS: previous } });
    const related: Array<[string, string]> = [
      ['the same text', b64],
      ['the hex of the same bytes', key.toString('hex')],
      ['the upper-case hex', key.toString('hex').toUpperCase()],
      ['base64url without padding', key.toString('base64url')],
      ['the key with a suffix', `${b64}-v2`],
      ['the key inside a longer secret', `prod-${key.toString('hex')}-2026`],
      ['a prefix of the key', b64.slice(0, 32)],
    ];
    for (const [what, hmac] of related) {
      expect(production(hmac, b64), what).toThrow(/storage\.encryption_key \(env E2A_STORAGE_ENCRYPTION_KEY\): production needs a key independent of signing\.hmac_secret/);
    }
    // The key given as hex, the secret as its base64: the same bytes.
    expect(production(b64, key.toString('hex'))).toThrow(/independent of signing\.hmac_secret/);
    // A previous secret still accepted counts too.
    expect(production(independent, b64, b64)).toThrow(/independent of signing\.hmac_secret/);
    expect(production(independent, b64)().env).toBe('production');
    // One line, naming the key.
    expect(() => production(b64, b64)()).toThrow(/^[^\n]+$/);
  });

  it('takes admin_email from --admin-email over the environment, and shared_domain_reserved as a list', () => {
    const config = loadConfig({ env: { E2A_ADMIN_EMAIL: 'env@example.com', E2A_SHARED_DOMAIN_RESERVED: 'billing, support' }, flags: { E2A_ADMIN_EMAIL: 'flag@example.com' } });
    expect(config.admin_email).toBe('flag@example.com');
    expect(config.shared_domain_reserved).toEqual(['billing', 'support']);
    expect(loadConfig({ env: { E2A_ADMIN_EMAIL: 'env@example.com' }, flags: { E2A_ADMIN_EMAIL: undefined } }).admin_email).toBe('env@example.com');
    expect(() => loadConfig({ env: { E2A_ADMIN_EMAIL: 'not an address' } })).toThrow(/^config: admin_email \(env E2A_ADMIN_EMAIL\): expected an email address/);
    expect(() => loadConfig({ env: { E2A_SHARED_DOMAIN_RESERVED: 'ok,not ok' } })).toThrow(/^config: shared_domain_reserved \(env E2A_SHARED_DOMAIN_RESERVED\)/);
  });

  it('processes: 0 is one per core; more than one needs PostgreSQL', () => {
    const postgres = { E2A_DATABASE_URL: 'postgres://u@db:5432/e2a' };
    expect(loadConfig({ env: {} }).processes).toBe(1);
    expect(loadConfig({ env: { ...postgres, E2A_PROCESSES: '0' } }).processes).toBe(availableParallelism());
    expect(loadConfig({ env: postgres, flags: { E2A_PROCESSES: '4' } }).processes).toBe(4);
    expect(() => loadConfig({ env: { E2A_PROCESSES: '2' } })).toThrow(/^config: processes \(env E2A_PROCESSES\): 2 processes need PostgreSQL/);
    expect(() => loadConfig({ env: { ...postgres, E2A_PROCESSES: '-1' } })).toThrow(/^config: processes \(env E2A_PROCESSES\)/);
  });

  it('reports an unreadable or invalid file', () => {
    expect(() => loadConfig({ env: { E2A_CONFIG: '/nonexistent/e2a.yaml' } })).toThrow(/cannot read \/nonexistent\/e2a.yaml/);
    const dir = mkdtempSync(join(tmpdir(), 'e2a-config-'));
    writeFileSync(join(dir, 'bad.yaml'), 'smtp: [unclosed');
    expect(() => loadConfig({ env: { E2A_CONFIG: join(dir, 'bad.yaml') } })).toThrow(/not valid YAML/);
  });

  it('documents every key and its env name in config.yaml.example, which loads as is', () => {
    const example = fileURLToPath(new URL('../../config.yaml.example', import.meta.url));
    const text = readFileSync(example, 'utf8');
    for (const name of configEnvNames()) expect(text, name).toContain(name);
    expect(loadConfig({ configPath: example, env: {} }).shared_domain).toBe('agents.localhost');
  });

  describe('metrics in production', () => {
    const production = {
      E2A_ENV: 'production',
      E2A_STORAGE_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    };
    it('refuses /metrics on a non-loopback API listener without a token, naming the fixes', () => {
      expect(() => loadConfig({ env: { ...production, E2A_HTTP_LISTEN_ADDR: '0.0.0.0:8080' } })).toThrow(/metrics\.bearer_token \(env E2A_METRICS_BEARER_TOKEN\).*metrics\.listen_addr.*metrics\.enabled false/);
    });
    it.each([
      { E2A_HTTP_LISTEN_ADDR: '127.0.0.1:8080' },
      { E2A_HTTP_LISTEN_ADDR: '0.0.0.0:8080', E2A_METRICS_BEARER_TOKEN: 'a-long-random-token' },
      { E2A_HTTP_LISTEN_ADDR: '0.0.0.0:8080', E2A_METRICS_LISTEN_ADDR: '127.0.0.1:9464' },
      { E2A_HTTP_LISTEN_ADDR: '0.0.0.0:8080', E2A_METRICS_ENABLED: 'false' },
    ])('accepts %o', (env) => {
      expect(() => loadConfig({ env: { ...production, ...env } })).not.toThrow();
    });
  });
});
