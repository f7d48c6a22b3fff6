/** Serves the dashboard's static files at / (the SPA lives in dashboard/public). */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express from 'express';

const DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/public', import.meta.url));

export function mountDashboard(app: express.Express): void {
  if (!existsSync(DASHBOARD_DIR)) return;
  app.use(express.static(DASHBOARD_DIR, { index: 'index.html', maxAge: '5m' }));
}
