/**
 * Serves the web dashboard at /: the built SPA (dashboard/dist, made by `vite build`), or
 * dashboard/public until it is built, or `dashboard.dist_dir`. Hashed files under /assets/ are cached
 * for a year; index.html is revalidated on every load, so a new build is picked up at once. A GET
 * for any other path outside the API that asks for HTML (Accept: text/html) gets index.html (the SPA routes it).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Response } from 'express';

/**
 * The dashboard's Content-Security-Policy: only its own scripts, styles and connections, no inline
 * script or eval, never framed. Images may come from https: so that a mail's remote images can be
 * shown once the reader asks; until then the message view rewrites them away and gives the mail's
 * frame a policy of its own without https: (dashboard/src/ui/mail-html.ts).
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

const INSTALLED = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

/** Where the dashboard is served from: the configured directory, the build, or the unbuilt placeholder. */
export function dashboardDir(configured: string): string | null {
  if (configured !== '') return path.resolve(configured);
  for (const dir of [path.join(INSTALLED, 'dist'), path.join(INSTALLED, 'public')]) {
    if (existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return null;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

function securityHeaders(res: Response): void {
  res.set({ 'Content-Security-Policy': DASHBOARD_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
}

/** Paths the SPA fallback never answers: the API, MCP, and files (a missing asset is a 404, not a page). */
const NOT_PAGES = /^\/(v1|mcp|assets)(\/|$)/;

export function mountDashboard(app: express.Express, opts: { distDir?: string } = {}): void {
  const dir = dashboardDir(opts.distDir ?? '');
  if (dir === null || !existsSync(dir)) return;
  const index = path.join(dir, 'index.html');
  app.use(
    express.static(dir, {
      index: 'index.html',
      // Cache-Control is set per file below.
      cacheControl: false,
      setHeaders: (res, file) => {
        securityHeaders(res);
        const relative = path.relative(dir, file).split(path.sep);
        res.set('Cache-Control', relative[0] === 'assets' && relative.length > 1 ? IMMUTABLE : 'no-cache');
      },
    }),
  );
  app.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_PAGES.test(req.path) || !(req.get('accept') ?? '').includes('text/html') || !existsSync(index)) return next();
    securityHeaders(res);
    res.set('Cache-Control', 'no-cache');
    res.sendFile(index, (err) => {
      if (err) next(err);
    });
  });
}
