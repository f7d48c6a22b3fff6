/**
 * What a delivery records of the receiver's response body: enough to tell "502 from the load
 * balancer" from "500 from your handler, with its message" at a glance. It is shown as text in the
 * dashboard and returned by the API, so it is made plain: decoded as UTF-8 (invalid or cut-off
 * sequences become U+FFFD), every control character but newline and tab blanked (NUL cannot be
 * stored in a PostgreSQL text column at all; CR, ESC and friends would rewrite a terminal line in
 * the CLI), and capped at RESPONSE_EXCERPT_CHARS code points.
 */
export const RESPONSE_EXCERPT_CHARS = 512;

/** Unicode category Cc (C0, DEL, C1) except \t and \n. */
const CONTROL = /[^\P{Cc}\t\n]/gu;

export function responseExcerpt(bodyHead: Uint8Array): string {
  const text = new TextDecoder('utf-8').decode(bodyHead).replace(CONTROL, ' ');
  const chars = Array.from(text);
  return chars.length > RESPONSE_EXCERPT_CHARS ? chars.slice(0, RESPONSE_EXCERPT_CHARS).join('') : text;
}
