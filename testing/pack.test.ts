/**
 * @e2a/sdk and @e2a/cli as users get them: `npm pack` of each workspace (from the built dist/),
 * installed from the tarballs into a scratch project outside the repository, then used there the
 * way the READMEs say: imported on plain Node, compiled against by a strict TypeScript consumer, and
 * `npx e2a --version`. Nothing here can see the workspace: the scratch project has its own
 * node_modules, and NODE_OPTIONS/npm_* variables (which could carry the e2a-source condition or the
 * workspace) are dropped.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuildCurrent, REPO_ROOT } from './compiled.js';

const exec = promisify(execFile);

interface Packed {
  name: string;
  version: string;
  filename: string;
  files: Array<{ path: string }>;
}

const version = (dir: string) => (JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment of a user's shell: no npm_* from an enclosing `npm test`, no NODE_OPTIONS. */
function userEnv(path = process.env.PATH ?? ''): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'NODE_OPTIONS' && !key.startsWith('VITEST')) env[key] = value;
  }
  env.PATH = path;
  return env;
}

/**
 * The machine's own `node`: the first on PATH outside any node_modules (npm puts the repository's
 * pinned Node, node_modules/.bin/node, first on PATH for scripts). Falls back to this process's.
 */
function systemNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    try {
      accessSync(join(dir, 'node'), constants.X_OK);
      return join(dir, 'node');
    } catch {
      // not here
    }
  }
  return process.execPath;
}

async function run(command: string, args: string[], cwd: string, env = userEnv()): Promise<string> {
  try {
    const { stdout } = await exec(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

// The consumer a user would write, following sdk-ts/README.md: the client, listen(), webhook and
// auth-claim verification.
const CONSUMER = `
import { E2A, constructEvent, verifyAuthClaims, WebhookSignatureError, type AuthClaims, type Event, type EventStream } from '@e2a/sdk';
import type { MessageSummary } from '@e2a/sdk/wire';

const e2a = new E2A({ baseUrl: 'https://e2a.example.com', apiKey: 'e2a_test' });

export async function client(): Promise<MessageSummary[]> {
  const agent = await e2a.agents.create({ local_part: 'bot' });
  const page = await e2a.messages.list(agent.address, { unread: true });
  for (const message of page.items) console.log(message.from, message.subject);
  await e2a.messages.send(agent.address, { to: ['alice@example.com'], subject: 'Hello', text: 'Hi Alice' });
  return page.items;
}

export async function follow(agent: string): Promise<void> {
  const stream: EventStream = e2a.listen(agent, { autoAck: true });
  for await (const event of stream) {
    if (event.type === 'email.received') console.log('mail', event.data.message_id);
  }
}

export function onWebhook(rawBody: string | Uint8Array, headers: Record<string, string | string[] | undefined>): Event | null {
  try {
    return constructEvent(rawBody, headers, 'whsec_test');
  } catch (err) {
    if (err instanceof WebhookSignatureError) return null;
    throw err;
  }
}

export async function POST(request: Request): Promise<Response> {
  const event = constructEvent(await request.text(), request.headers, 'whsec_test');
  return new Response(event.id, { status: 200 });
}

export async function sender(message: MessageSummary & { auth_claims: Record<string, string> | null }): Promise<string> {
  const { verification_keys } = await e2a.account.claimsKey();
  const claims: AuthClaims = await verifyAuthClaims(message.auth_claims ?? {}, verification_keys);
  return claims.verified ? claims.sender : 'unverified';
}
`;

// Runs on plain Node against the installed package: the fixed auth-claim vector (headers written out
// by hand from it, so a change in signing cannot hide), a tampered copy, and a webhook round trip.
/** A Node 18 release the registry's `node` package has; the SDK's `engines` says >=18. */
const OLDEST_NODE = '18.20.8';

const SMOKE = `
const m = await import('@e2a/sdk');
const v = m.AUTH_CLAIM_VECTOR;
const H = m.CLAIM_HEADERS;
const headers = {
  [H.verified]: String(v.claims.verified), [H.sender]: v.claims.sender, [H.entityType]: v.claims.entityType,
  [H.domainCheck]: v.claims.domainCheck, [H.delegation]: v.claims.delegation, [H.timestamp]: v.claims.timestamp,
  [H.messageId]: v.claims.messageId, [H.bodyHash]: v.claims.bodyHash, [H.signature]: v.signature,
};
const now = new Date('2026-01-02T03:05:00Z');
const claims = await m.verifyAuthClaims(headers, v.secret, { now, body: 'test' });
const tampered = await m.verifyAuthClaims({ ...headers, [H.sender]: 'mallory@example.com' }, v.secret, { now }).then(() => 'accepted', (e) => e.reason);
const secret = m.generateWebhookSecret();
const signed = m.signTestWebhook({ id: 'evt_pack', type: 'message.received' }, secret);
const event = m.constructEvent(signed.body, signed.headers, secret);
const forged = (() => { try { m.constructEvent(signed.body, signed.headers, m.generateWebhookSecret()); return 'accepted'; } catch (e) { return e.reason; } })();
console.log(JSON.stringify({ node: process.version, resolved: import.meta.resolve('@e2a/sdk'), sender: claims.sender, tampered, event: event.id, forged }));
`;

describe('npm packages', () => {
  let scratch = '';
  const packed: Record<'sdk' | 'cli', Packed | undefined> = { sdk: undefined, cli: undefined };

  beforeAll(async () => {
    assertBuildCurrent();
    scratch = await mkdtemp(join(tmpdir(), 'e2a-pack-'));
    if (!relative(REPO_ROOT, scratch).startsWith('..')) throw new Error(`scratch project ${scratch} must be outside the repository`);
    const out = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch, '-w', 'sdk-ts', '-w', 'cli'], REPO_ROOT);
    for (const p of JSON.parse(out) as Packed[]) {
      if (p.name === '@e2a/sdk') packed.sdk = p;
      if (p.name === '@e2a/cli') packed.cli = p;
    }
    if (!packed.sdk || !packed.cli) throw new Error(`npm pack did not produce both tarballs:\n${out}`);
    const typescript = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/typescript/package.json'), 'utf8')) as { version: string }).version;
    await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'e2a-pack-consumer', private: true, type: 'module' }));
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(scratch, packed.sdk.filename), join(scratch, packed.cli.filename), `typescript@${typescript}`],
      scratch,
    );
    // Node 18, the oldest the SDK supports, from the npm registry's `node` package, in a project of
    // its own so that its `node` does not shadow anything in the consumer project.
    await mkdir(join(scratch, 'node18'));
    await writeFile(join(scratch, 'node18', 'package.json'), JSON.stringify({ name: 'e2a-pack-node18', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `node@${OLDEST_NODE}`], join(scratch, 'node18'));
  }, 240_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('tarballs hold dist/, README, LICENSE and CHANGELOG, and no sources or tests', () => {
    for (const [key, p] of Object.entries(packed) as Array<['sdk' | 'cli', Packed]>) {
      const files = p.files.map((f) => f.path);
      expect(p.version).toBe(version(key === 'sdk' ? 'sdk-ts' : 'cli'));
      expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js'.replace('index', key === 'sdk' ? 'index' : 'main')]));
      expect(files.filter((f) => f.startsWith('dist/') && f.endsWith('.d.ts')).length).toBeGreaterThan(0);
      expect(files.filter((f) => /^src\/|(^|\/)testing\/|\.test\.|\.map$|tsbuildinfo/.test(f))).toEqual([]);
    }
    expect(packed.cli!.files.map((f) => f.path)).toContain('bin/e2a.js');
    expect(packed.sdk!.files.map((f) => f.path)).toEqual(expect.arrayContaining(['dist/mcp/index.js', 'dist/wire/index.d.ts', 'dist/platform/crypto-web.js', 'dist/values.js']));
  });

  it('imports on plain Node and verifies the fixed auth-claim vector and a webhook', async () => {
    const node = systemNode();
    const out = JSON.parse(await run(node, ['--input-type=module', '-e', SMOKE], scratch)) as Record<string, string>;
    expect(out.resolved).toBe(`file://${join(scratch, 'node_modules/@e2a/sdk/dist/index.js')}`);
    expect(out).toMatchObject({ sender: 'alice@example.com', tampered: 'bad_signature', event: 'evt_pack', forged: 'bad_signature' });
    expect(Number(/^v(\d+)/.exec(out.node!)![1])).toBeGreaterThanOrEqual(18);
    console.log(`pack: @e2a/sdk imported and verified on ${node} ${out.node}`);
  });

  it(`imports on Node ${OLDEST_NODE}, the oldest the SDK supports, and verifies the same`, async () => {
    const node = join(scratch, 'node18/node_modules/node/bin/node');
    const out = JSON.parse(await run(node, ['--input-type=module', '-e', SMOKE], scratch)) as Record<string, string>;
    expect(out.node).toBe(`v${OLDEST_NODE}`);
    const engines = (JSON.parse(readFileSync(join(REPO_ROOT, 'sdk-ts/package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe(`>=${OLDEST_NODE.split('.')[0]}`);
    expect(out).toMatchObject({ sender: 'alice@example.com', tampered: 'bad_signature', event: 'evt_pack', forged: 'bad_signature' });
  });

  it('the root entry imports nothing from node: where the runtime is not Node (browsers, edge)', () => {
    const pkgDir = join(scratch, 'node_modules/@e2a/sdk');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { imports: Record<string, { default: { default: string } }> };
    const seen = new Set<string>();
    const bare = new Set<string>();
    const pending = [join(pkgDir, 'dist/index.js')];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('#')) pending.push(join(pkgDir, pkg.imports[specifier!]!.default.default));
        else if (specifier!.startsWith('.')) pending.push(join(dirname(file), specifier!));
        else bare.add(specifier!.split('/')[0]!);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    // ws is imported lazily, only where the runtime has no WebSocket.
    expect([...bare].sort()).toEqual(['standardwebhooks', 'ws', 'zod']);
  });

  it('a strict TypeScript consumer compiles against the installed types', async () => {
    await writeFile(join(scratch, 'consumer.ts'), CONSUMER);
    // A wrong use in the same compilation must fail, so a pass for consumer.ts is not for want of checking.
    await writeFile(join(scratch, 'wrong.ts'), `import { verifyAuthClaims } from '@e2a/sdk';\nexport const x: number = await verifyAuthClaims({}, 'k');\n`);
    const tsc = join(scratch, 'node_modules/typescript/bin/tsc');
    const args = ['--strict', '--exactOptionalPropertyTypes', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--noEmit', '--pretty', 'false', 'consumer.ts', 'wrong.ts'];
    const failed = await run(process.execPath, [tsc, ...args], scratch).then(
      () => '',
      (err: Error) => err.message,
    );
    const diagnostics = failed.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(diagnostics.filter((line) => !line.startsWith('wrong.ts('))).toEqual([]);
    expect(diagnostics).toEqual([expect.stringMatching(/^wrong\.ts\(2,\d+\): error TS2322/)]);
    // Checking zod's and the MCP SDK's declarations too (no skipLibCheck) takes 20-30 s on a busy machine.
  }, 120_000);

  it('`npx e2a --version` prints the package version', async () => {
    // The CLI needs the Node its engines name (commander); this process's Node is the repository's.
    const path = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
    const out = await run('npx', ['--no-install', 'e2a', '--version'], scratch, userEnv(path));
    expect(out.trim()).toBe(version('cli'));
    // The CLI's `@e2a/sdk` dependency (a semver range) is the tarball beside it, not a registry copy.
    expect(existsSync(join(scratch, 'node_modules/@e2a/cli/node_modules/@e2a/sdk'))).toBe(false);
  });
});
