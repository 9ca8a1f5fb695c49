// Everything a Vite app needs for framecast: one setting, for the dev server
// only (`vite build` needs none).
import { defineConfig } from 'vite';

export default defineConfig({
  // framecast/publisher starts its Worker with
  // `new Worker(new URL('./publisher-worker.js', import.meta.url), { type: 'module' })`
  // and wasm-bindgen's glue finds framecast_bg.wasm with
  // `new URL('framecast_bg.wasm', import.meta.url)`. The dev server's
  // dependency pre-bundling moves the modules to node_modules/.vite/deps,
  // away from those files (the worker fails to load, init() gets index.html
  // instead of the wasm).
  optimizeDeps: { exclude: ['framecast'] },
});
