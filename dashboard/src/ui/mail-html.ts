/**
 * Hostile mail HTML made safe to look at. The HTML never touches the dashboard's DOM: it is parsed
 * inert (DOMParser runs no script and loads nothing), rewritten, and shown in an iframe with
 * `sandbox` (no scripts, no same-origin, no forms) through `srcdoc`. The rewrite:
 *   - drops what acts on its own: script, iframe/frame/object/embed, base, link, meta (refresh),
 *     and every on* attribute;
 *   - neuters javascript:/data:/vbscript: links and gives every link target=_blank and
 *     rel="noopener noreferrer";
 *   - blocks remote images (img src/srcset, background attributes) until the reader asks: the
 *     address moves to data-e2a-blocked-src and is counted;
 *   - adds a CSP of its own (no script, no connections, images only from data: and cid: unless
 *     remote images are allowed), which also stops CSS url() loads.
 */

export interface SafeHtml {
  srcdoc: string;
  /** Remote images held back (0 once they are allowed). */
  blockedImages: number;
}

const DROP = 'script, iframe, frame, frameset, object, embed, applet, base, link, meta, portal';
const REMOTE = /^\s*(?:https?:)?\/\//i;
const DANGEROUS_URL = /^\s*(?:javascript|vbscript|data):/i;

export function safeMailHtml(html: string, opts: { remoteImages: boolean }): SafeHtml {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  let blockedImages = 0;
  for (const el of Array.from(doc.querySelectorAll(DROP))) el.remove();
  for (const el of Array.from(doc.querySelectorAll('*'))) {
    for (const attr of Array.from(el.attributes)) {
      if (/^on/i.test(attr.name) || attr.name.toLowerCase() === 'formaction') el.removeAttribute(attr.name);
    }
    if (el instanceof HTMLAnchorElement || el.tagName === 'AREA') {
      const target = el.getAttribute('href') ?? '';
      if (DANGEROUS_URL.test(target)) el.removeAttribute('href');
      el.setAttribute('target', '_blank');
      el.setAttribute('rel', 'noopener noreferrer');
    }
    if (el.tagName === 'FORM') el.removeAttribute('action');
    if (!opts.remoteImages) {
      for (const name of ['src', 'srcset', 'background', 'poster']) {
        const value = el.getAttribute(name);
        if (value && (REMOTE.test(value) || (name === 'srcset' && /(?:https?:)?\/\//i.test(value)))) {
          el.setAttribute(`data-e2a-blocked-${name}`, value);
          el.removeAttribute(name);
          if (el.tagName === 'IMG' && name === 'src') {
            blockedImages++;
            if (!el.getAttribute('alt')) el.setAttribute('alt', '[remote image blocked]');
          }
        }
      }
    }
  }
  const imgSrc = opts.remoteImages ? 'data: cid: https: http:' : 'data: cid:';
  const csp = `default-src 'none'; img-src ${imgSrc}; style-src 'unsafe-inline'; font-src data:; form-action 'none'; base-uri 'none'`;
  const head = `<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><meta name="referrer" content="no-referrer">`;
  return { srcdoc: `<!doctype html><html><head>${head}${doc.head.innerHTML}</head><body>${doc.body.innerHTML}</body></html>`, blockedImages };
}
