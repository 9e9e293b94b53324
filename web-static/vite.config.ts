import { loadEnv, type Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// A dashboard hosted apart from the API (the Azure Static Web App beside the function app) is built with the API's
// origin in VITE_AGENTOPS_API_ORIGIN (e.g. https://func-agentops.azurewebsites.net), from the environment or from
// .env.production.local (which azd's prepackage hook, scripts/api-origin.sh, writes); the app calls it, and the CSP's
// connect-src admits it. Unset (the self-host), everything stays same-origin.
function apiOriginFor(mode: string): string {
  const origin = (loadEnv(mode, process.cwd(), 'VITE_').VITE_AGENTOPS_API_ORIGIN ?? '').replace(/\/+$/, '');
  if (origin && !/^https?:\/\/[a-z0-9.-]+(:\d+)?$/i.test(origin)) {
    throw new Error(`VITE_AGENTOPS_API_ORIGIN must be an origin such as https://api.example.com, not ${origin}`);
  }
  return origin;
}

const cspConnectSrc = (apiOrigin: string): Plugin => ({
  name: 'agentops-csp-connect-src',
  transformIndexHtml: (html) => (apiOrigin ? html.replace("connect-src 'self'", `connect-src 'self' ${apiOrigin}`) : html),
});

// The dashboard builds into dist/: index.html plus content-hashed files under assets/, which the self-host serves with
// a year-long immutable Cache-Control (index.html itself is always revalidated). No inline scripts or styles are
// emitted, so the strict CSP in index.html (script-src 'self'; style-src 'self') holds for the built app.
export default defineConfig(({ mode }) => ({
  base: './',
  plugins: [cspConnectSrc(apiOriginFor(mode))],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The browsers that run the dashboard all support modulepreload; the polyfill would only add bytes.
    modulePreload: { polyfill: false },
    // No source maps in the shipped build: they would double what a browser may fetch and are not needed to operate.
    sourcemap: false,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // The tests are pure (no globals, no DOM): one worker for all files is faster than one per file.
    isolate: false,
  },
}));
