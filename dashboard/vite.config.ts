/**
 * Builds the dashboard SPA into dashboard/dist (served by the gateway at /). Hashed file names under
 * assets/ (cached forever), no inline script or style (the gateway's CSP forbids both), and the SDK
 * taken from its TypeScript source, so the bundle never lags behind an unbuilt sdk-ts/dist.
 */
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // dashboard/public is not a Vite public dir: everything the page loads goes through the bundle.
  publicDir: false,
  plugins: [react()],
  resolve: { conditions: ['e2a-source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // A data: URL would be an inline asset; keep everything a file under 'self'.
    assetsInlineLimit: 0,
    // The module preload polyfill is an inline script.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
