/**
 * Path parameters by name: what each may look like, checked before anything (authentication
 * included) hands one to the database. Junk gets 404 or 422 here, never a database error: a NUL
 * reaching PostgreSQL fails the statement with 22021, and a number past 2^31 compared with an
 * integer column with 22003. A route declares only `:name` in its path; every parameter of that
 * name, on every route, follows the rule below, and a name without a rule follows the generic one.
 */
import { classifyAddress } from '@e2a/relay';
import { LABEL_NAME_PATTERN } from '@e2a/sdk/wire';
import { AppError } from '../errors.js';
import { textProblem } from './input-text.js';

type JsonSchema = Record<string, unknown>;

interface ParamRule {
  /** For the OpenAPI document. */
  schema: JsonSchema;
  /** Why the value cannot name anything, as the error to answer, or null. */
  check(value: string, noun: string): AppError | null;
}

/** PostgreSQL's integer: the largest attachment index a query may compare. */
const INT4_MAX = 2 ** 31 - 1;
const GENERIC_MAX = 1024;

/** api/src/ids.ts: a lowercase type prefix, an underscore, lowercase base32 (a ULID) or hex (events). */
const ID = /^[a-z]{1,16}_[0-9a-z]{1,64}$/;
const DOMAIN = /^[A-Za-z0-9.-]{1,253}$/;
const LABEL = new RegExp(LABEL_NAME_PATTERN);

const shown = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
const notFound = (noun: string, value: string, hint: string) => new AppError('not_found', `${noun} ${shown(value)} not found${hint ? `: ${hint}` : ''}`);

function generic(value: string, noun: string): AppError | null {
  if (textProblem(value) || /[\x00-\x1f\x7f]/.test(value) || value.length > GENERIC_MAX) return notFound(noun, value, '');
  return null;
}

const RULES: Record<string, ParamRule> = {
  id: {
    schema: { type: 'string', pattern: ID.source },
    check: (value, noun) => (ID.test(value) ? null : notFound(noun, value, 'ids look like msg_01j…, as the API returned them')),
  },
  address: {
    schema: { type: 'string', maxLength: 254, description: 'the agent address, name@domain' },
    check: (value) =>
      value.length <= 254 && !generic(value, 'agent') && classifyAddress(value.trim()).kind === 'clean'
        ? null
        : notFound('agent', value, 'an agent address is name@domain, with letters, digits and . _ + - before the @'),
  },
  name: {
    schema: { type: 'string', pattern: DOMAIN.source },
    check: (value, noun) => (DOMAIN.test(value) ? null : notFound(noun, value, 'a domain name has letters, digits, dots and hyphens')),
  },
  label: {
    schema: { type: 'string', pattern: LABEL_NAME_PATTERN },
    check: (value, noun) => (LABEL.test(value) ? null : notFound(noun, value, 'a label is 1 to 64 ASCII letters, digits and . _ - :, starting with a letter or a digit')),
  },
  index: {
    schema: { type: 'integer', minimum: 0, maximum: INT4_MAX },
    check: (value) => {
      if (!/^\d+$/.test(value)) return new AppError('validation_error', `attachment index ${shown(value)} must be a non-negative integer (0 for the first attachment)`);
      return value.length > 10 || Number(value) > INT4_MAX ? new AppError('not_found', `attachment ${shown(value)} not found`) : null;
    },
  },
};

const GENERIC: ParamRule = { schema: { type: 'string', maxLength: GENERIC_MAX }, check: generic };

/** The names of a path's parameters, in order: `/v1/agents/:address/messages/:id` → address, id. */
export function paramNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
}

export function paramSchema(name: string): JsonSchema {
  return (RULES[name] ?? GENERIC).schema;
}

/**
 * The first parameter of `path` that cannot name anything, as the error to answer. The noun in the
 * message is the collection the parameter indexes (`…/messages/:id` → "message").
 */
export function checkParams(path: string, values: Record<string, string | undefined>): AppError | null {
  const segments = path.split('/');
  for (const [i, segment] of segments.entries()) {
    if (!segment.startsWith(':')) continue;
    // A parameter may be followed by literal text in its segment (`:address.json`).
    const name = /^:([A-Za-z_]+)/.exec(segment)![1]!;
    const value = values[name] ?? '';
    const collection = segments[i - 1] ?? name;
    const noun = collection.replace(/-/g, ' ').replace(/s$/, '') || name;
    const error = (RULES[name] ?? GENERIC).check(value, noun);
    if (error) return error;
  }
  return null;
}
