// framecast for Deno (package.json `exports` condition "deno"): the browser
// build, instantiated when imported from a `WebAssembly.Module` that Deno
// loads as a source-phase import. Needs no permissions (the default `init()`
// would read the .wasm with fetch and need --allow-read). `init()` and
// `initSync()` stay callable and do nothing more.
import source wasmModule from '../web/framecast_bg.wasm';
import { initSync } from '../web/framecast.js';

initSync({ module: wasmModule });

export * from '../web/framecast.js';
export { default, initSync } from '../web/framecast.js';
