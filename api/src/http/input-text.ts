/**
 * Text a client sends must be text the gateway can store and mail: no NUL (PostgreSQL's text and
 * jsonb refuse U+0000 with error 22021, and RFC 5322 §3.5 forbids it in a message) and no lone
 * UTF-16 surrogate (JSON can spell one as "\ud800", but it is not a character: jsonb refuses it, and
 * it cannot be encoded as UTF-8 in a header or a body). Checked once, for path, query and body alike,
 * before any schema or handler sees the value.
 */

export interface TextProblem {
  /** Dotted path of the offending string, or of the object holding the offending key. */
  path: string[];
  message: string;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const NUL_MESSAGE = 'must not contain NUL (U+0000)';
const SURROGATE_MESSAGE = 'must be well-formed Unicode (it holds a lone UTF-16 surrogate)';

/** Why this string cannot be taken, or null. */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(value)) return SURROGATE_MESSAGE;
  return null;
}

/**
 * The first string (value or key) in a parsed JSON or query value that cannot be taken. Iterative,
 * with each node pointing at its parent: a body may nest arrays hundreds of thousands deep within
 * the size limit, deeper than the stack, and copying the path at every level would be quadratic.
 */
export function findTextProblem(root: unknown, base: string[], keyNoun = 'field name'): TextProblem | null {
  interface Node {
    value: unknown;
    key: string | null;
    parent: Node | null;
  }
  const pathOf = (node: Node | null, key?: string): string[] => {
    const keys: string[] = key === undefined ? [] : [key];
    for (let n = node; n && n.key !== null; n = n.parent) keys.push(n.key);
    return [...base, ...keys.reverse()];
  };
  const stack: Node[] = [{ value: root, key: null, parent: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { path: pathOf(node), message: problem };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: String(i), parent: node });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const problem = textProblem(key);
        if (problem) return { path: pathOf(node, key), message: `${keyNoun} ${problem}` };
        stack.push({ value: child, key, parent: node });
      }
    }
  }
  return null;
}
