/**
 * Builds the web console into dist/ui, which `portsec serve` serves at /ui.
 * `npx vite --config ui/vite.config.ts` serves it with hot reload and sends the
 * API calls to a running `portsec serve` (PORTSEC_URL, default 127.0.0.1:9696).
 */
import { defineConfig } from 'vite';

const api = process.env.PORTSEC_URL ?? 'http://127.0.0.1:9696';

export default defineConfig({
  root: import.meta.dirname,
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/ui',
    emptyOutDir: true,
    // cytoscape alone is about 400 kB: one bundle is served from loopback or a LAN, not a CDN
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: Object.fromEntries(['/v2.0', '/v3', '/analysis'].map((p) => [p, api])),
  },
});
