import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { dispositionHeader, safeHeaderValue, safeMediaType } from './header-values.js';

/** What Node itself does with a header value: throws ERR_INVALID_CHAR for one it cannot write. */
function nodeAccepts(name: string, value: string): boolean {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  try {
    res.setHeader(name, value);
    return true;
  } catch {
    return false;
  }
}

describe('header values made from stored sender values', () => {
  it('serves a valid media type with its charset only, and anything else as application/octet-stream', () => {
    expect(safeMediaType('text/plain; charset=utf-8; name="a.txt"')).toBe('text/plain; charset=utf-8');
    expect(safeMediaType('IMAGE/PNG')).toBe('image/png');
    for (const bad of ['application/x\u0001y', 'text/plain\r\nSet-Cookie: a=b', 'image/png\u0100', 'text', '', 'a/b c', 'text/plain; charset="\u0000"']) {
      expect(safeMediaType(bad), JSON.stringify(bad)).toBe('application/octet-stream');
    }
    expect(safeMediaType(null)).toBe('application/octet-stream');
  });

  it('writes a Content-Disposition Node accepts for any name, keeping the name in filename*', () => {
    expect(dispositionHeader('attachment', 'page.html')).toBe(`attachment; filename="page.html"; filename*=UTF-8''page.html`);
    expect(dispositionHeader('inline', 'résumé (1).pdf')).toBe(`inline; filename="r_sum_ (1).pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%281%29.pdf`);
    expect(dispositionHeader('attachment', 'a\u0001b\r\n".txt')).toBe(`attachment; filename="ab_.txt"; filename*=UTF-8''ab%22.txt`);
    expect(dispositionHeader('attachment', '../../etc/passwd')).toBe(`attachment; filename="passwd"; filename*=UTF-8''passwd`);
    expect(dispositionHeader('attachment', 'C:\\Users\\x\\evil.exe')).toContain('filename="evil.exe"');
    expect(dispositionHeader('attachment', '\u0000\u0001')).toBe('attachment');
    expect(dispositionHeader('inline', null)).toBe('inline');
    for (const name of ['a\ud800b.txt', '\udfff', '😀.png', 'x'.repeat(300), '%41%42.txt', "it's *.txt"]) {
      const header = dispositionHeader('attachment', name);
      expect(nodeAccepts('Content-Disposition', header), header).toBe(true);
    }
  });

  it('replaces what Node would refuse in any other header value', () => {
    expect(safeHeaderValue('plain value')).toBe('plain value');
    expect(nodeAccepts('X-Test', 'a\u0001b')).toBe(false);
    expect(safeHeaderValue('a\u0001b\u0100c')).toBe('a?b?c');
    expect(nodeAccepts('X-Test', safeHeaderValue('a\r\nb\u0000'))).toBe(true);
  });
});
