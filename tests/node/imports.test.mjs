// Every wasm module (the root's and each entry point's, web and Node
// builds) must import nothing but wasm-bindgen's generated glue: no WASI
// (`wasi_snapshot_preview1`), no `env` symbols left unresolved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

for (const flavour of ['web', 'node', 'web-publisher', 'web-publisher-aac', 'web-publisher-opus', 'web-mux', 'node-mux', 'web-transcode', 'node-transcode']) {
  test(`${flavour} build imports only its JS glue`, () => {
    const bytes = readFileSync(new URL(`../../pkg/${flavour}/framecast_bg.wasm`, import.meta.url));
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
    assert.ok(imports.length > 0, 'wasm-bindgen glue imports exist');
    const modules = [...new Set(imports.map((i) => i.module))];
    assert.deepEqual(modules, ['./framecast_bg.js'], `unexpected import modules: ${JSON.stringify(imports.filter((i) => i.module !== './framecast_bg.js'))}`);
    assert.ok(!imports.some((i) => /wasi|fd_write|clock_time_get|proc_exit/.test(i.name)), 'no WASI calls');
  });
}
