/**
 * A request's query or body through its route's schema, or the 422 that names what is wrong: every
 * offending field in `details`, the first in the message, with the fix where there is an obvious one
 * (`body.inbound.acton: unknown field; did you mean "action"?`).
 */
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import { findTextProblem } from './input-text.js';
import { fieldsAt } from './strict-schema.js';

export function validate<T extends z.ZodType>(schema: T, value: unknown, where: 'query' | 'body'): z.output<T> {
  const text = findTextProblem(value, [where], where === 'query' ? 'parameter name' : 'field name');
  if (text) throw invalid([{ path: text.path.join('.'), message: text.message }]);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // Unknown fields first: a misspelt required field also reports the real one as missing, and the
  // misspelling is the thing to fix.
  const issues = [...result.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  throw invalid(issues.flatMap((issue) => describeIssue(issue, schema, value, where)));
}

function invalid(details: Array<{ path: string; message: string }>): AppError {
  const first = details[0]!;
  return new AppError('validation_error', `${first.path}: ${first.message}`, details);
}

function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType, value: unknown, where: 'query' | 'body') {
  const at = [where, ...issue.path.map(String)];
  if (issue.code === 'unrecognized_keys') {
    const fields = fieldsAt(schema, issue.path);
    const topOfQuery = where === 'query' && issue.path.length === 0;
    return issue.keys.map((key) => ({ path: [...at, key].join('.'), message: `unknown ${topOfQuery ? 'query parameter' : 'field'}; ${fixFor(key, fields, topOfQuery)}` }));
  }
  // The query parser turns a repeated parameter into an array, which no query schema expects.
  if (where === 'query' && issue.code === 'invalid_type' && issue.path.length === 1 && Array.isArray((value as Record<PropertyKey, unknown>)?.[issue.path[0]!])) {
    return [{ path: at.join('.'), message: 'given more than once; give each query parameter once' }];
  }
  return [{ path: at.join('.'), message: issue.message }];
}

/**
 * "did you mean" for a near miss (a typo, swapped letters, another case, camelCase for snake_case);
 * otherwise the fields there are.
 */
function fixFor(key: string, fields: string[], query: boolean): string {
  if (fields.length === 0) return query ? 'this route takes no query parameters' : 'nothing is expected here; remove it';
  // `limit[gt]` is what a qs-style client writes for `limit`.
  const squash = (s: string) => s.replace(/\[.*$/, '').toLowerCase().replace(/[-_]/g, '');
  const letters = (s: string) => [...squash(s)].sort().join('');
  const same = fields.find((f) => squash(f) === squash(key)) ?? fields.find((f) => letters(f) === letters(key));
  const near = same ?? closest(key, fields);
  if (same || distance(key, near) <= (key.length <= 3 ? 1 : key.length <= 6 ? 2 : 3)) return `did you mean "${near}"?`;
  return `${query ? 'the parameters' : 'the fields'} here are ${fields.join(', ')}`;
}
