// Runs the GC benchmarks (bench/gc/*.c) with every collector that was built and prints
// markdown tables. It builds nothing: `make bench-gc` builds the modules first and passes the
// collectors it built in GC_COLLECTORS.
//
//   node bench/gc/run.mjs [--quick] [--runs N]      GC_BENCH=name[,name...] selects workloads
//
// --quick runs every workload once per collector with tiny sizes: a smoke check of the
// programs and collectors, not a measurement. A full run of every workload also writes
// build/bench-gc/results.json.

import v8 from 'node:v8';
import { cpus } from 'node:os';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseOptions, selectWorkloads } from '../options.mjs';
import { compileWasm, runWasi } from '../../tests/host/wasi-host.mjs';

// As in bench/run.mjs: optimized code from the start, so each timed run executes the same code.
v8.setFlagsFromString('--no-liftoff');

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = join(ROOT, 'build', 'bench-gc');
const STATUS = join(ROOT, 'build', 'peers', 'status');
const VERSIONS = join(ROOT, 'build', 'peers', 'versions');
const RESULTS = join(BUILD, 'results.json');
const KNOWN_COLLECTORS = ['bdwgc', 'walloc', 'floor'];
const BASELINE = 'bdwgc';

// `floor: true`: the program also has a build with malloc/free (-DGC_FLOOR).
const WORKLOADS = [
  { name: 'strings', program: 'strings', args: ['1000'], quick: ['20'], floor: true },
  { name: 'gcbench', program: 'gcbench', args: ['16'], quick: ['10'], floor: true },
  { name: 'gcbench-typed', program: 'gcbench-typed', args: ['16'], quick: ['10'] },
  { name: 'list-churn', program: 'list-churn', args: ['1000000', '50'], quick: ['50000', '3'], floor: true },
  { name: 'false-retention', program: 'false-retention', args: ['scanned', '8192'], quick: ['scanned', '256'] },
  { name: 'false-retention-atomic', program: 'false-retention', args: ['atomic', '8192'], quick: ['atomic', '256'] },
];

function skipReason(collector) {
  if (collector === 'walloc') {
    return existsSync(join(ROOT, 'include', 'gc.h')) ? 'not in GC_COLLECTORS (`make bench-gc` passes it)'
      : "include/gc.h is not there yet: walloc's collector has not landed";
  }
  const file = join(STATUS, collector);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  return 'not built: `make bench-gc` fetches and builds it (bench-gc-quick only uses what is already built)';
}

const modulePath = (program, collector) => join(BUILD, `${program}-${collector}.wasm`);

function parseResult(stdout) {
  const line = stdout.split('\n').find((l) => l.startsWith('result '));
  if (!line) return null;
  const fields = Object.fromEntries(line.slice('result '.length).split(' ').map((pair) => pair.split('=')));
  for (const key of Object.keys(fields)) {
    if (/^[0-9.]+$/.test(fields[key]) && key !== 'checksum') fields[key] = Number(fields[key]);
  }
  return fields;
}

async function runOnce(module, args) {
  const run = await runWasi(module, { args });
  const result = run.exitCode === 0 ? parseResult(run.stdout) : null;
  if (!result) {
    const why = run.trap ? `trap: ${run.trap}` : `exit code ${run.exitCode}`;
    throw new Error(`${why}\n${run.stderr.trim()}`);
  }
  return result;
}

async function measure(workload, collectors, options) {
  const args = options.quick ? workload.quick : workload.args;
  const modules = {};
  const samples = {};
  for (const collector of collectors) {
    modules[collector] = await compileWasm(modulePath(workload.program, collector));
    samples[collector] = [];
    if (!options.quick) await runOnce(modules[collector], workload.quick);
  }
  // Alternating the collectors spreads any drift of the machine evenly over them.
  for (let k = 1; k <= options.runs; k++) {
    for (const collector of collectors) {
      process.stderr.write(`${workload.name}: ${collector} run ${k} of ${options.runs}... `);
      const sample = await runOnce(modules[collector], args);
      process.stderr.write(`${sample.ms.toFixed(1)} ms\n`);
      samples[collector].push(sample);
    }
  }
  const checksums = new Set(collectors.flatMap((c) => samples[c].map((s) => s.checksum)));
  if (checksums.size !== 1) throw new Error(`checksums differ: ${[...checksums].join(' ')}`);
  const results = {};
  for (const collector of collectors) {
    const runs = samples[collector];
    const times = runs.map((s) => s.ms);
    // Everything but the time is the same from run to run but for the odd collection; the
    // median run's figures are kept.
    const typical = [...runs].sort((a, b) => a.ms - b.ms)[runs.length >> 1];
    results[collector] = {
      timesMs: times.map((t) => Number(t.toFixed(2))),
      medianMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      collections: typical.gc,
      peakHeapBytes: Math.max(...runs.map((s) => s.heap)),
      memoryBytes: Math.max(...runs.map((s) => s.mem)),
      ...(typical.mode && { mode: typical.mode, liveBytes: typical.live, usedBytes: typical.used,
        retainedBytes: typical.retained, refs: typical.refs }),
    };
  }
  return { name: workload.name, args, runs: options.runs, checksum: [...checksums][0], collectors: results };
}

const mib = (bytes) => (bytes / 1048576).toFixed(2);
const kib = (bytes) => (bytes / 1024).toFixed(1);
const ratio = (x, base) => (base ? `${(x / base).toFixed(2)}×` : '–');
const table = (header, rows) =>
  [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

function printTables(summaries) {
  const rows = [];
  for (const s of summaries) {
    const base = s.collectors[BASELINE];
    for (const [name, r] of Object.entries(s.collectors)) {
      const isFloor = name === 'floor';
      rows.push([s.name, name, `${r.medianMs.toFixed(1)} (${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)})`,
        isFloor ? '–' : String(r.collections), isFloor ? '–' : mib(r.peakHeapBytes), mib(r.memoryBytes),
        ratio(r.medianMs, base?.medianMs), ratio(r.memoryBytes, base?.memoryBytes)]);
    }
  }
  console.log(table(['workload', 'collector', 'median ms (min–max)', 'collections', 'peak heap MiB',
    'peak memory MiB', `time / ${BASELINE}`, `memory / ${BASELINE}`], rows));
  const retention = [];
  for (const s of summaries) {
    for (const [name, r] of Object.entries(s.collectors)) {
      if (r.mode === undefined) continue;
      const scanned = r.mode === 'scanned';
      retention.push([s.name, name, r.mode, mib(r.liveBytes), mib(r.usedBytes), ratio(r.usedBytes, r.liveBytes),
        scanned ? kib(r.retainedBytes) : '–', scanned ? String(r.refs) : '–']);
    }
  }
  if (retention.length) {
    console.log('\nFalse retention, after the last GC_gcollect:\n');
    console.log(table(['workload', 'collector', 'noise', 'live MiB', 'used MiB', 'used / live',
      'junk kept by the noise KiB', 'noise values into junk'], retention));
  }
}

// Code size: build/bench-gc/size-COLLECTOR.wasm (wasm-opt -Oz --strip-debug) and
// size-COLLECTOR-spill.wasm (the same with --spill-pointers, as the programs are built).
function codeSizes(collectors) {
  const sizes = {};
  for (const c of collectors.filter((c) => c !== 'floor')) {
    const plain = join(BUILD, `size-${c}.wasm`);
    const spill = join(BUILD, `size-${c}-spill.wasm`);
    if (existsSync(plain)) sizes[c] = { bytes: statSync(plain).size, spillBytes: existsSync(spill) ? statSync(spill).size : null };
  }
  return sizes;
}

function versions() {
  if (!existsSync(VERSIONS)) return {};
  return Object.fromEntries(readFileSync(VERSIONS, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')));
}

async function main() {
  const options = parseOptions(process.argv.slice(2), 1);
  const workloads = selectWorkloads(WORKLOADS, process.env.GC_BENCH);
  const listed = (process.env.GC_COLLECTORS || 'floor').split(/\s+/).filter(Boolean);
  const collectors = KNOWN_COLLECTORS.filter((c) => listed.includes(c));
  const skipped = KNOWN_COLLECTORS.filter((c) => !listed.includes(c)).map((c) => ({ name: c, reason: skipReason(c) }));
  const summaries = [];
  const failures = [];
  for (const workload of workloads) {
    const present = collectors.filter((c) => (c !== 'floor' || workload.floor) && existsSync(modulePath(workload.program, c)));
    if (!present.length) continue;
    try {
      summaries.push(await measure(workload, present, options));
    } catch (error) {
      process.stderr.write(`\n${workload.name} FAILED: ${error.message}\n`);
      failures.push({ name: workload.name, error: error.message });
    }
  }
  const what = options.quick ? 'quick run (tiny sizes, 1 run: a smoke check, not a measurement)'
    : `median of ${options.runs} runs`;
  console.log(`\n## GC benchmarks: ${what}\n`);
  console.log('ms: the workload\'s own time; peak heap: GC_get_heap_size, sampled; peak memory: the linear');
  console.log('memory at exit (its peak). floor: the same program with malloc/free (wasi-libc\'s dlmalloc).\n');
  printTables(summaries);
  for (const f of failures) console.log(`\n### ${f.name}: FAILED\n\n${f.error}`);
  for (const s of skipped) console.log(`\nskipped ${s.name}: ${s.reason}`);
  const sizes = codeSizes(collectors);
  if (Object.keys(sizes).length) {
    console.log('\nCode size of a module exporting GC_malloc, GC_malloc_atomic and GC_gcollect (wasm-opt -Oz');
    console.log(`--strip-debug; with --spill-pointers too in parentheses): ${Object.entries(sizes)
      .map(([c, s]) => `${c} ${s.bytes} B${s.spillBytes ? ` (${s.spillBytes} B)` : ''}`).join(', ')}`);
  }
  if (!options.quick && !process.env.GC_BENCH) {
    const cpu = cpus();
    writeFileSync(RESULTS, `${JSON.stringify({
      date: new Date().toISOString(),
      machine: { cpu: cpu[0]?.model, cores: cpu.length, node: process.version },
      runs: options.runs, collectors, skipped, versions: versions(), workloads: summaries, failures, codeSize: sizes,
    }, null, 2)}\n`);
    console.log(`\nWrote ${RESULTS}`);
  }
  if (failures.length) process.exit(1);
}

await main();
