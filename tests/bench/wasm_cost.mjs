// What a wasm module's bytes are spent on: code bytes per dependency (Rust
// crate, C/C++ library, wasm-bindgen glue) and the largest functions.
//
//   node tests/bench/wasm_cost.mjs FILE.wasm [--build-dir DIR] [--top N] [--json]
//
// FILE needs its name section: wasm-bindgen keeps it, and wasm-opt keeps it
// with `-g` (the Makefile's `make wasm-cost` builds such files; see
// BENCHMARKS.md "Module size per entry point"). Sizes are function body
// bytes in the code section, after whatever optimisation FILE had; inlined
// functions count in their callers. Data segments (constant tables,
// strings) are one line of their own.
//
// Rust symbols are grouped by crate (framecast by module): the first crate
// named in the demangled symbol that is not the standard library, so that
// `core::ptr::drop_in_place<symphonia_core::...>` counts for symphonia. C
// and C++ symbols are grouped by the static library that defines them
// (OpenH264's four libraries, FDK AAC, wasi-libc), read with `llvm-nm` from
// the archives that the build script linked (found through its output in
// --build-dir, default target/wasm32-unknown-unknown/release).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const STD = new Set(['core', 'alloc', 'std', 'compiler_builtins', 'panic_abort', 'dlmalloc', 'std_detect', 'rustc_demangle', 'hashbrown', 'adler2', 'miniz_oxide', 'gimli', 'addr2line', 'object', 'memchr']);

/** The sections of a wasm binary: { id, name, start, end } (payload offsets). */
function sections(bytes) {
  const out = [];
  let p = 8;
  const leb = () => {
    let r = 0, s = 0, b;
    do { b = bytes[p++]; r += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80);
    return r;
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    const start = p;
    let name = '';
    if (id === 0) {
      const len = leb();
      name = new TextDecoder().decode(bytes.subarray(p, p + len));
    }
    out.push({ id, name, start, end: start + size, size });
    p = start + size;
  }
  return out;
}

/** A LEB128 reader over `bytes` from `at`. */
function reader(bytes, at) {
  const r = {
    p: at,
    u() {
      let v = 0, s = 0, b;
      do { b = bytes[r.p++]; v += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80);
      return v;
    },
    str() {
      const len = r.u();
      const s = new TextDecoder().decode(bytes.subarray(r.p, r.p + len));
      r.p += len;
      return s;
    },
  };
  return r;
}

/** Function names by index (name section, subsection 1), and the count of imported functions. */
function functionNames(bytes, secs) {
  const names = new Map();
  const name = secs.find((s) => s.id === 0 && s.name === 'name');
  if (name) {
    const r = reader(bytes, name.start);
    r.str();
    while (r.p < name.end) {
      const sub = bytes[r.p++];
      const size = r.u();
      const end = r.p + size;
      if (sub === 1) {
        const n = r.u();
        for (let i = 0; i < n; i++) {
          const idx = r.u();
          names.set(idx, r.str());
        }
      }
      r.p = end;
    }
  }
  let imported = 0;
  const imp = secs.find((s) => s.id === 2);
  if (imp) {
    const r = reader(bytes, imp.start);
    const n = r.u();
    for (let i = 0; i < n; i++) {
      r.str();
      r.str();
      const kind = bytes[r.p++];
      if (kind === 0) { r.u(); imported++; } else if (kind === 1) { r.p++; const f = r.u(); r.u(); if (f & 1) r.u(); } else if (kind === 2) { const f = r.u(); r.u(); if (f & 1) r.u(); } else if (kind === 3) { r.p += 2; } else if (kind === 4) { r.p++; r.u(); }
    }
  }
  return { names, imported };
}

/** Function body sizes, in index order (imports excluded). */
function bodySizes(bytes, secs) {
  const code = secs.find((s) => s.id === 10);
  if (!code) return [];
  const r = reader(bytes, code.start);
  const n = r.u();
  const sizes = [];
  for (let i = 0; i < n; i++) {
    const size = r.u();
    sizes.push(size);
    r.p += size;
  }
  return sizes;
}

/** Rust legacy (`_ZN…E`) or v0 (`_R…`) symbol as a readable path, or null. */
export function demangleRust(sym) {
  if (sym.startsWith('_ZN') && /17h[0-9a-f]{16}E(\.\d+)?$/.test(sym)) {
    const parts = [];
    let p = 3;
    while (p < sym.length && sym[p] !== 'E') {
      const m = /^\d+/.exec(sym.slice(p));
      if (!m) break;
      p += m[0].length;
      parts.push(sym.slice(p, p + Number(m[0])));
      p += Number(m[0]);
    }
    parts.pop(); // the hash
    return parts.join('::')
      .replace(/\$LT\$/g, '<').replace(/\$GT\$/g, '>').replace(/\$u20\$/g, ' ').replace(/\$C\$/g, ',')
      .replace(/\$RF\$/g, '&').replace(/\$BP\$/g, '*').replace(/\$u7b\$/g, '{').replace(/\$u7d\$/g, '}')
      .replace(/\$u5b\$/g, '[').replace(/\$u5d\$/g, ']').replace(/\$u3b\$/g, ';').replace(/\$u27\$/g, "'")
      .replace(/\$LP\$/g, '(').replace(/\$RP\$/g, ')').replace(/\.\./g, '::').replace(/^_</, '<');
  }
  if (sym.startsWith('_R')) {
    const crates = [...sym.matchAll(/C(?:s[0-9a-zA-Z]*_)?(\d+)([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[2].slice(0, Number(m[1])));
    return crates.length ? crates.map((c) => `${c}::`).join(' ') : null;
  }
  return null;
}

/** The group a Rust path counts for: its first non-std crate (framecast by module), else `std`. */
export function rustGroup(path) {
  const crates = [...path.matchAll(/(?:^|[<&*\s(,[])([A-Za-z_][A-Za-z0-9_]*)::/g)].map((m) => m[1]);
  const crate = crates.find((c) => !STD.has(c) && !/^[A-Z]/.test(c) && c !== 'impl' && c !== 'dyn');
  if (!crate) return 'rust std';
  if (crate === 'framecast') {
    const m = /framecast::(codec::[a-z0-9_]+|[a-z0-9_]+)/.exec(path);
    return m ? `framecast::${m[1]}` : 'framecast';
  }
  if (/^(wasm_bindgen|js_sys|web_sys|serde_wasm_bindgen)/.test(crate)) return 'wasm-bindgen, js-sys, web-sys';
  if (crate.startsWith('symphonia')) return 'symphonia';
  if (crate.startsWith('serde')) return crate === 'serde_json' ? 'serde_json' : 'serde';
  return crate;
}

/** Library label of every symbol the linked static C/C++ archives define. */
function archiveSymbols(buildDir) {
  const bySymbol = new Map();
  if (!existsSync(buildDir)) return bySymbol;
  const outputs = readdirSync(buildDir)
    .filter((d) => d.startsWith('framecast-') && existsSync(join(buildDir, d, 'output')))
    .map((d) => join(buildDir, d, 'output'))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const libs = new Map();
  for (const out of outputs) {
    let search = [];
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      const s = /^cargo:rustc-link-search=native=(.*)$/.exec(line);
      if (s) search.push(s[1]);
      const l = /^cargo:rustc-link-lib=static=(.*)$/.exec(line);
      if (l && !libs.has(l[1])) {
        const file = search.map((d) => join(d, `lib${l[1]}.a`)).find((f) => existsSync(f));
        if (file) libs.set(l[1], file);
      }
    }
  }
  const label = (lib) => (lib.startsWith('openh264_') ? `OpenH264 ${lib.slice(9)}`
    : lib === 'framecast_openh264_shim' ? 'OpenH264 shims' : lib === 'framecast_fdk_aac' ? 'FDK AAC'
      : lib === 'framecast_wasi_c' ? 'wasi-libc' : lib);
  for (const [lib, file] of libs) {
    let text;
    try {
      text = execFileSync('llvm-nm', ['--defined-only', '-j', file], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      console.error(`wasm_cost: llvm-nm could not read ${file}; its functions count as "C/C++ (unknown library)"`);
      continue;
    }
    for (const sym of text.split('\n')) if (sym && !sym.endsWith(':') && !bySymbol.has(sym)) bySymbol.set(sym, label(lib));
  }
  return bySymbol;
}

/** The group of one function name. */
function groupOf(name, archives) {
  if (!name) return 'unnamed';
  const bare = name.replace(/\.command_export$/, '');
  if (/^(__wbg|__wbindgen|__externref|wasm_bindgen)/.test(bare)) return 'wasm-bindgen, js-sys, web-sys';
  if (archives.has(bare)) return archives.get(bare);
  // wasm-bindgen writes Rust names demangled (`crate::path::h0123…`).
  const rust = demangleRust(bare) ?? (bare.includes('::') ? bare : null);
  if (rust) return rustGroup(rust);
  if (/^_ZN\d+Wels/.test(bare) || /^Wels/.test(bare)) return 'OpenH264 (by name)';
  if (/^_Z/.test(bare)) return 'C++ (unknown library)';
  if (/^[a-z_]+[a-z0-9_]*$/.test(bare) && archives.size === 0) return 'C (unknown library)';
  // An exported binding (`muxer_push`, `encoder_new`) is the framecast web layer.
  if (/^[a-z0-9]+_[a-zA-Z0-9]+$/.test(bare) || /^[a-z][a-zA-Z0-9]+$/.test(bare)) return 'framecast::web (exports)';
  return 'other';
}

function main() {
  const args = process.argv.slice(2);
  const opt = (flag, dflt) => {
    const i = args.indexOf(flag);
    if (i < 0) return dflt;
    const [v] = args.splice(i, 2).slice(1);
    return v;
  };
  const top = Number(opt('--top', '25'));
  const buildDir = opt('--build-dir', 'target/wasm32-unknown-unknown/release/build');
  const json = args.includes('--json');
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    console.error('usage: wasm_cost.mjs FILE.wasm [--build-dir DIR] [--top N] [--json]');
    process.exit(2);
  }
  const bytes = readFileSync(file);
  const secs = sections(bytes);
  const { names, imported } = functionNames(bytes, secs);
  if (names.size === 0) console.error(`wasm_cost: ${file} has no name section: every function counts as "unnamed"`);
  const sizes = bodySizes(bytes, secs);
  const archives = archiveSymbols(buildDir);
  const groups = new Map();
  const items = [];
  sizes.forEach((size, i) => {
    const name = names.get(i + imported);
    const group = groupOf(name, archives);
    groups.set(group, (groups.get(group) ?? 0) + size);
    items.push({ name: name ?? `func[${i + imported}]`, group, size });
  });
  const code = sizes.reduce((a, b) => a + b, 0);
  const data = secs.filter((s) => s.id === 11).reduce((a, s) => a + s.size, 0);
  const customs = secs.filter((s) => s.id === 0).map((s) => `${s.name} ${s.size}`);
  const ranked = [...groups].sort((a, b) => b[1] - a[1]);
  items.sort((a, b) => b.size - a.size);
  if (json) {
    console.log(JSON.stringify({ file, bytes: bytes.length, code, data, groups: Object.fromEntries(ranked), top: items.slice(0, top) }, null, 2));
    return;
  }
  const pct = (n) => `${((100 * n) / code).toFixed(1)} %`;
  console.log(`${file}: ${bytes.length} bytes; code ${code}, data segments ${data}; custom sections: ${customs.join(', ') || 'none'}\n`);
  console.log('| code of | bytes | share of code |\n| --- | ---: | ---: |');
  for (const [group, size] of ranked) console.log(`| ${group} | ${size} | ${pct(size)} |`);
  console.log(`\nLargest ${top} functions:\n\n| function | group | bytes |\n| --- | --- | ---: |`);
  for (const it of items.slice(0, top)) {
    const readable = demangleRust(it.name.replace(/\.command_export$/, '')) ?? it.name;
    console.log(`| \`${readable.length > 90 ? `${readable.slice(0, 87)}...` : readable}\` | ${it.group} | ${it.size} |`);
  }
}

main();
