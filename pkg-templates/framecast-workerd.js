// framecast for Cloudflare Workers and workerd (package.json `exports`
// condition "workerd", which wrangler resolves): the browser build,
// instantiated when imported from the `WebAssembly.Module` that importing a
// .wasm file gives there. workerd refuses to compile wasm from bytes and has
// no `import.meta.url`, so the default `init()` cannot work on its own.
// Instantiating at the top level uses no timers, randomness or I/O.
// `init()` and `initSync()` stay callable and do nothing more.
import wasmModule from '../web/framecast_bg.wasm';
import { initSync } from '../web/framecast.js';

initSync({ module: wasmModule });

export * from '../web/framecast.js';
export { default, initSync } from '../web/framecast.js';
