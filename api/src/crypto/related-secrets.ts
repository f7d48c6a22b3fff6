/**
 * "Is one secret derived from the other?" for the production check that storage.encryption_key and
 * signing.hmac_secret are independent: whoever learns one (a leaked config line, a verifier's copy)
 * must not hold the other.
 *
 * Related means: after reading each secret every way the gateway or an operator would (its text, and
 * the bytes it decodes to as hex or base64/base64url), some form of one, written out as text, hex,
 * base64 or base64url, is equal to or contained in some form of the other, ignoring case. That
 * catches the same key, the same bytes in another encoding or padding, one pasted inside the other
 * (prefix, suffix, substring: "secret" + "-v2"), the hex of the other's bytes, in either direction.
 * Only pieces of MIN_SHARED_CHARS characters or more count (8 bytes at the least, in a hex form),
 * so two random secrets never match by chance (2^-64 at worst).
 *
 * Not caught, on purpose: a key computed from the other by a one-way function (HKDF, SHA-256 of it).
 * Such a key does not give the other away, and spotting it would mean guessing the derivation.
 */

const MIN_SHARED_CHARS = 16;

/** The bytes a secret can stand for: its UTF-8 text, and what it decodes to as hex or base64. */
function byteForms(secret: string): Buffer[] {
  const forms = [Buffer.from(secret, 'utf8')];
  const trimmed = secret.trim();
  if (/^(?:[0-9a-fA-F]{2})+$/.test(trimmed)) forms.push(Buffer.from(trimmed, 'hex'));
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, 'base64');
    if (decoded.length >= MIN_SHARED_CHARS / 2) forms.push(decoded);
  }
  return forms;
}

/** Every way those bytes are commonly written, lower-cased (hex case and base64 padding vary). */
function textForms(secret: string): string[] {
  const out = new Set<string>();
  for (const bytes of byteForms(secret)) {
    for (const text of [bytes.toString('latin1'), bytes.toString('hex'), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')]) {
      out.add(text.toLowerCase());
    }
  }
  return [...out];
}

/** True when one secret is the other, or another spelling of it, or contains it (see above). */
export function secretsRelated(a: string, b: string): boolean {
  if (a === '' || b === '') return false;
  const fa = textForms(a);
  const fb = textForms(b);
  for (const x of fa) {
    for (const y of fb) {
      const [short, long] = x.length <= y.length ? [x, y] : [y, x];
      if (short.length >= MIN_SHARED_CHARS && long.includes(short)) return true;
    }
  }
  return false;
}
