// Build step (used by assemble.mjs): ships the package's one error module
// and wires it into each wasm-bindgen output, so that every entry point
// throws `FramecastError`s and exports the class.
//
//   writeErrorModules(pkgDir)      errors.js + errors.d.ts as they are, and
//                                  errors.cjs (the same code as CommonJS)
//   wireGlue(dir, name, flavour)   `flavour` "web" (ES module glue) or "node"
//                                  (CommonJS glue) in `dir` (one level below
//                                  the package root): guards every exported
//                                  class against use after free(), and
//                                  re-exports FramecastError and ERROR_CODES
//                                  (JS and .d.ts)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** errors.js as CommonJS: its top-level `export` keywords dropped, the names assigned to `module.exports`. */
export function errorsAsCommonJs(source) {
  const names = [];
  const body = source.replace(/^export (class|const|function) (\w+)/gm, (_, kind, name) => {
    names.push(name);
    return `${kind} ${name}`;
  });
  if (/^\s*(export|import)\b/m.test(body)) throw new Error('errors.js: only `export class|const|function NAME` is supported');
  return `'use strict';\n${body}\nmodule.exports = { ${names.join(', ')} };\n`;
}

export function writeErrorModules(pkgDir) {
  const source = readFileSync(join(here, 'errors.js'), 'utf8');
  writeFileSync(join(pkgDir, 'errors.js'), source);
  writeFileSync(join(pkgDir, 'errors.cjs'), errorsAsCommonJs(source));
  writeFileSync(join(pkgDir, 'errors.d.ts'), readFileSync(join(here, 'errors.d.ts'), 'utf8'));
}

const MARK = '// framecast: errors (errors-embed.mjs)';

export function wireGlue(dir, name, flavour) {
  const js = join(dir, `${name}.js`);
  const dts = join(dir, `${name}.d.ts`);
  let glue = readFileSync(js, 'utf8');
  if (glue.includes(MARK)) return;
  const classPattern = flavour === 'web' ? /^export class (\w+)/gm : /^class (\w+)/gm;
  const classes = [...glue.matchAll(classPattern)].map((m) => m[1]);
  if (flavour === 'web') {
    glue += `\n${MARK}\nimport { FramecastError as __FramecastError, ERROR_CODES as __ERROR_CODES, guardFreed as __guardFreed } from '../errors.js';\n`
      + `__guardFreed(${classes.join(', ')});\nexport { __FramecastError as FramecastError, __ERROR_CODES as ERROR_CODES };\n`;
  } else if (flavour === 'node') {
    glue += `\n${MARK}\nconst __errors = require('../errors.cjs');\n__errors.guardFreed(${classes.join(', ')});\n`
      + 'exports.FramecastError = __errors.FramecastError;\nexports.ERROR_CODES = __errors.ERROR_CODES;\n';
  } else {
    throw new Error(`unknown glue flavour ${flavour}`);
  }
  writeFileSync(js, glue);
  writeFileSync(dts, `${readFileSync(dts, 'utf8')}\n${MARK}\nexport { FramecastError, ERROR_CODES } from '../errors.js';\n`
    + "export type { ErrorCode, FramecastErrorOptions, PresetProblem } from '../errors.js';\n");
}
