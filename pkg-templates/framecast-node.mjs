// framecast for Node's `import` (package.json `exports` condition "node"):
// the Node build (CommonJS, which reads and instantiates the .wasm when
// loaded), so `import` and `require` share one instance. Its `init()` and
// `initSync()` (added by assemble.mjs) let code written for browsers
// (`await init()`) or edge runtimes (`initSync({ module })`) run unchanged;
// both return the instance's exports and do nothing else.
import framecast from './framecast.js';

export * from './framecast.js';
export default framecast.default;
