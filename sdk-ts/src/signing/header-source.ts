/**
 * Request headers as verifiers receive them: a fetch `Headers`, or a plain object (Node's
 * `IncomingHttpHeaders`, express's `req.headers`) whose names may be in any case.
 */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

/** The first value of a header, looked up case-insensitively (RFC 9110 §5.1). */
export function headerValue(source: HeaderSource, name: string): string | undefined {
  if (typeof (source as Headers).get === 'function') return (source as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(source as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
