// Chromium's own account of where a process's memory goes (its
// "memory-infra" dumps: V8, malloc, PartitionAlloc, Blink's GC heap, ...),
// recorded by startup tracing: Chromium writes the trace file itself, so no
// DevTools client is attached (one would make the network instrumentation
// keep request bodies, see soak.mjs).
//
//   const mi = memoryInfra({ dir, seconds, intervalMs });
//   spawn(chromium, [...args, ...mi.args]);           // tracing starts at launch
//   ... after `seconds`: await mi.waitForFile();
//   const series = readMemoryInfra(mi.resultFile, rendererPid);
//   const growth = allocatorGrowth(series, fromMin);
//
// A detailed dump every `intervalMs` (default 3 min: each is a few MB of
// JSON). The trace covers the first `seconds` after launch and is written
// when they end, so the process must still run then.

import fs from 'node:fs';
import path from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

/**
 * The Chromium arguments that record memory-infra dumps for `seconds` from
 * launch into `dir/memory-infra.json`, and a wait for that file.
 */
export function memoryInfra({ dir, seconds, intervalMs = 180000 }) {
  const resultFile = path.join(dir, 'memory-infra.json');
  const configFile = path.join(dir, 'memory-infra-config.json');
  fs.rmSync(resultFile, { force: true });
  fs.writeFileSync(configFile, JSON.stringify({
    trace_config: {
      record_mode: 'record-until-full',
      trace_buffer_size_in_kb: 400 * 1024,
      included_categories: ['disabled-by-default-memory-infra'],
      excluded_categories: ['*'],
      memory_dump_config: {
        allowed_dump_modes: ['background', 'light', 'detailed'],
        triggers: [{ mode: 'detailed', periodic_interval_ms: intervalMs }],
      },
    },
    startup_duration: Math.max(1, Math.floor(seconds)),
    result_file: resultFile,
  }));
  return {
    resultFile,
    args: [`--trace-config-file=${configFile}`, '--trace-startup-format=json'],
    /** Resolves once Chromium has written the trace (its size steady for 2 s); rejects after `timeoutMs`. */
    async waitForFile(timeoutMs = 120000) {
      const end = Date.now() + timeoutMs;
      let last = -1;
      while (Date.now() < end) {
        const size = fs.existsSync(resultFile) ? fs.statSync(resultFile).size : -1;
        if (size > 0 && size === last) return resultFile;
        last = size;
        await sleep(2000);
      }
      throw new Error(`Chromium wrote no memory-infra trace to ${resultFile} within ${timeoutMs} ms`);
    },
  };
}

/** A dump attribute's byte count (hex strings in the trace). */
const bytes = (attr) => (attr && typeof attr.value === 'string' ? parseInt(attr.value, 16) : 0);

/**
 * The dumps of one process in a memory-infra trace: `[{ t_s, footprint_mb,
 * allocators: { name: MB } }]`, `t_s` from the trace's first event. The
 * process is `pid` when the trace has it, else its largest renderer (by
 * private footprint at the last dump). Allocator names are the top level
 * (`v8`, `malloc`, `partition_alloc`, `blink_gc`, ...) and one level
 * below (`v8/main`, `partition_alloc/partitions`, ...).
 */
export function readMemoryInfra(file, pid = null) {
  const trace = JSON.parse(fs.readFileSync(file, 'utf8'));
  const events = trace.traceEvents ?? trace;
  const names = new Map();
  let start = Infinity;
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'process_name') names.set(e.pid, e.args?.name ?? '');
    if (typeof e.ts === 'number' && e.ts > 0 && e.ph !== 'M') start = Math.min(start, e.ts);
  }
  // One dump is several events per process (totals, allocators): merge by time.
  const byPid = new Map();
  for (const e of events) {
    if (e.ph !== 'v' || !e.args?.dumps) continue;
    const d = e.args.dumps;
    if (!byPid.has(e.pid)) byPid.set(e.pid, new Map());
    const dumps = byPid.get(e.pid);
    if (!dumps.has(e.ts)) dumps.set(e.ts, { t_s: (e.ts - start) / 1e6, footprint_mb: null, allocators: {} });
    const dump = dumps.get(e.ts);
    if (d.process_totals?.private_footprint_bytes) dump.footprint_mb = bytes({ value: d.process_totals.private_footprint_bytes }) / MB;
    for (const [name, a] of Object.entries(d.allocators ?? {})) {
      const parts = name.split('/');
      // Two levels; not the per-object children (shared_memory/<GUID>, 0x...).
      if (parts.length > 2 || (parts[1] && /^(0x)?[0-9A-Fa-f]{12,}$/.test(parts[1]))) continue;
      const size = bytes(a.attrs?.size);
      if (size > 0) dump.allocators[name] = size / MB;
    }
  }
  const series = (p) => [...(byPid.get(p)?.values() ?? [])].sort((a, b) => a.t_s - b.t_s);
  let chosen = pid !== null && byPid.has(pid) ? pid : null;
  if (chosen === null) {
    const renderers = [...byPid.keys()].filter((p) => names.get(p) === 'Renderer');
    const last = (p) => series(p).at(-1)?.footprint_mb ?? 0;
    chosen = renderers.sort((a, b) => last(b) - last(a))[0] ?? null;
  }
  if (chosen === null) throw new Error(`${file}: no renderer's memory dumps in the trace`);
  return { pid: chosen, process: names.get(chosen) ?? '', dumps: series(chosen) };
}

/**
 * Per allocator (and the private footprint, as `(private footprint)`): its
 * size at the first dump at or after `fromS` seconds and at the last, and
 * the change in MB per hour between them; largest growth first.
 */
export function allocatorGrowth(dumps, fromS) {
  const steady = dumps.filter((d) => d.t_s >= fromS);
  if (steady.length < 2) return [];
  const a = steady[0];
  const b = steady.at(-1);
  const hours = (b.t_s - a.t_s) / 3600;
  const names = new Set([...Object.keys(a.allocators), ...Object.keys(b.allocators)]);
  const rows = [...names].map((name) => ({ name, from_mb: a.allocators[name] ?? 0, to_mb: b.allocators[name] ?? 0 }));
  if (a.footprint_mb !== null && b.footprint_mb !== null) rows.push({ name: '(private footprint)', from_mb: a.footprint_mb, to_mb: b.footprint_mb });
  return rows
    .map((r) => ({ ...r, from_s: a.t_s, to_s: b.t_s, mb_per_hour: (r.to_mb - r.from_mb) / hours }))
    .sort((x, y) => y.mb_per_hour - x.mb_per_hour);
}
