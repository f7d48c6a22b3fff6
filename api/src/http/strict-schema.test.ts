/**
 * The route table makes every query and body schema strict at every depth, so a route added with a
 * plain z.object refuses unknown fields like every other, with the path and a suggested fix.
 */
import { Protection, SendMessageRequest } from '@e2a/sdk/wire';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { RouteTable } from './route.js';
import { fieldsAt, strictSchema } from './strict-schema.js';
import { validate } from './validate.js';

function refusal(schema: z.ZodType, value: unknown, where: 'query' | 'body' = 'body'): AppError {
  try {
    validate(schema, value, where);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('strict request schemas', () => {
  const Lenient = z
    .object({
      name: z.string(),
      nested: z.object({ mode: z.enum(['a', 'b']).default('a'), tags: z.array(z.object({ key: z.string() })).default([]) }).prefault({}),
      target: z.union([z.string(), z.object({ address: z.string(), label: z.string().optional() })]).optional(),
      headers: z.record(z.string(), z.object({ value: z.string() })).optional(),
    })
    .refine((v) => v.name !== 'forbidden', { message: 'name may not be "forbidden"' })
    .meta({ id: 'LenientThing' });
  const strict = strictSchema(Lenient);

  it('refuses an unknown field at every depth, which the lenient schema drops silently', () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'x', nmae: 'y' }, 'body.nmae: unknown field; did you mean "name"?'],
      [{ name: 'x', nested: { mdoe: 'b' } }, 'body.nested.mdoe: unknown field; did you mean "mode"?'],
      [{ name: 'x', nested: { tags: [{ key: 'k' }, { key: 'k', kye: 1 }] } }, 'body.nested.tags.1.kye: unknown field; did you mean "key"?'],
      [{ name: 'x', target: { address: 'a@b.c', lable: 'A' } }, 'body.target.lable: unknown field; did you mean "label"?'],
      [{ name: 'x', headers: { h: { value: 'v', extra: 1 } } }, 'body.headers.h.extra: unknown field; the fields here are value'],
    ];
    for (const [value, message] of cases) {
      expect(Lenient.safeParse(value).success).toBe(true);
      const err = refusal(strict, value);
      expect(err).toMatchObject({ code: 'validation_error', message });
    }
  });

  it('names every unknown field in details, and suggests snake_case for camelCase', () => {
    const err = refusal(strict, { name: 'x', Name: 'y', displayName: 1, zzz: 2 });
    expect(err.details).toEqual([
      { path: 'body.Name', message: 'unknown field; did you mean "name"?' },
      { path: 'body.displayName', message: 'unknown field; the fields here are name, nested, target, headers' },
      { path: 'body.zzz', message: 'unknown field; the fields here are name, nested, target, headers' },
    ]);
    expect(refusal(strictSchema(z.object({ local_part: z.string() })), { localPart: 'x' }).message).toBe('body.localPart: unknown field; did you mean "local_part"?');
  });

  it('keeps refinements, defaults, metadata and what a valid value parses to', () => {
    expect(strict.parse({ name: 'x' })).toEqual(Lenient.parse({ name: 'x' }));
    expect(refusal(strict, { name: 'forbidden' }).message).toBe('body: name may not be "forbidden"');
    expect(z.globalRegistry.get(strict)).toMatchObject({ id: 'LenientThing' });
    const schema = z.toJSONSchema(strict, { io: 'input' }) as { $defs: Record<string, { additionalProperties?: unknown; properties: Record<string, { additionalProperties?: unknown }> }> };
    expect(schema.$defs.LenientThing!.additionalProperties).toBe(false);
    expect(schema.$defs.LenientThing!.properties.nested!.additionalProperties).toBe(false);
  });

  it('hands every parse its own copy of a default, as the lenient schema does', () => {
    const first = strict.parse({ name: 'x' }) as { nested: { tags: unknown[] } };
    first.nested.tags.push({ key: 'mutated' });
    expect((strict.parse({ name: 'y' }) as { nested: { tags: unknown[] } }).nested.tags).toEqual([]);
  });

  it('leaves strict and deliberately loose objects as they are', () => {
    const already = z.strictObject({ a: z.string() });
    expect(strictSchema(already)).toBe(already);
    const loose = z.looseObject({ a: z.string() });
    expect(strictSchema(loose).safeParse({ a: 'x', b: 1 }).success).toBe(true);
  });

  it('makes the wire schemas strict without changing them, so stored values still read leniently', () => {
    const put = { inbound: { policy: 'allowlist', allowlist: ['a@example.com'], acton: 'block' } };
    expect(Protection.parse(put).inbound.action).toBe('review');
    expect(refusal(strictSchema(Protection), put).message).toBe('body.inbound.acton: unknown field; did you mean "action"?');
    expect(refusal(strictSchema(SendMessageRequest), { to: [{ address: 'a@example.com', nmae: 'A' }] }).message).toBe(
      'body.to.0.nmae: unknown field; did you mean "name"?',
    );
  });

  it('applies to every route added to the table, query and body', () => {
    const table = new RouteTable();
    table.add({ method: 'post', path: '/v1/things', operationId: 'things.create', summary: 't', tag: 't', query: z.object({ limit: z.coerce.number().optional() }), body: Lenient }, async () => ({}));
    const { spec } = table.routes[0]!;
    expect(refusal(spec.body!, { name: 'x', nested: { extra: 1 } }).message).toBe('body.nested.extra: unknown field; the fields here are mode, tags');
    expect(refusal(spec.query!, { limt: '5' }, 'query').message).toBe('query.limt: unknown query parameter; did you mean "limit"?');
    expect(refusal(spec.query!, { limit: ['1', '2'] }, 'query').message).toBe('query.limit: given more than once; give each query parameter once');
  });

  it('finds the fields declared where an unknown key was found', () => {
    expect(fieldsAt(strict, [])).toEqual(['name', 'nested', 'target', 'headers']);
    expect(fieldsAt(strict, ['nested', 'tags', 0])).toEqual(['key']);
    expect(fieldsAt(strict, ['target'])).toEqual(['address', 'label']);
  });

  it('refuses NUL and lone surrogates in any string or field name, before the schema', () => {
    const Any = z.object({ a: z.unknown() });
    expect(refusal(Any, { a: 'x\u0000y' }).message).toBe('body.a: must not contain NUL (U+0000)');
    expect(refusal(Any, { a: ['ok', { b: '\ud800' }] }).message).toBe('body.a.1.b: must be well-formed Unicode (it holds a lone UTF-16 surrogate)');
    expect(refusal(Any, { a: { 'k\u0000': 1 } }).message).toBe('body.a.k\u0000: field name must not contain NUL (U+0000)');
    expect(validate(Any, { a: 'emoji 😀 and é' }, 'body')).toEqual({ a: 'emoji 😀 and é' });
    // Nesting deeper than the stack is walked without overflowing.
    const deep = JSON.parse(`${'['.repeat(200_000)}"\\u0000"${']'.repeat(200_000)}`);
    expect(refusal(Any, { a: deep }).message).toMatch(/^body\.a\.0\.0\.0.*: must not contain NUL/);
  });
});
