// Runs the benchmark workloads with walloc and with wasi-libc's dlmalloc and prints a table
// comparing them. It builds nothing: `make bench` builds the modules into build/bench/ first.
//
//   node bench/run.mjs [--quick] [--runs N]      BENCH=name[,name...] selects workloads
//
// --quick runs every workload once per allocator with counts about 1/20 of the full ones: a
// smoke check of the harness and of both allocators, not a measurement, so it writes no
// results file.

import v8 from 'node:v8';
import { cpus } from 'node:os';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileWasm, runWasi } from '../tests/host/wasi-host.mjs';

// With the baseline compiler on, V8 swaps in optimized code at moments that differ from run
// to run, which blurs the timings; optimizing everything up front (on the unmeasured warm-up
// run, since compilation is lazy) makes each timed run execute the same code.
v8.setFlagsFromString('--no-liftoff');

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = join(ROOT, 'build', 'bench');
const RESULTS = join(ROOT, 'bench', 'results', 'latest.json');
const ALLOCATORS = ['dlmalloc', 'walloc'];

// Full counts make a dlmalloc run take roughly 0.2 to 0.5 s on the 2-core reference machine.
const WORKLOADS = [
  { name: 'random-actions', program: 'random-actions', args: ['3000000', '0'], quick: ['150000', '0'] },
  { name: 'random-actions-realloc', program: 'random-actions', args: ['3000000', '20'], quick: ['150000', '20'] },
  { name: 'churn', program: 'churn', args: ['6000000'], quick: ['300000'] },
  { name: 'realloc-growth', program: 'realloc-growth', args: ['2000000'], quick: ['100000'] },
  { name: 'big-buffers', program: 'big-buffers', args: ['80000'], quick: ['4000'] },
  { name: 'mixed', program: 'mixed', args: ['2000000'], quick: ['100000'] },
  { name: 'frag-soak', program: 'frag-soak', args: ['200'], quick: ['12'] },
];

function parseOptions(argv) {
  const options = { quick: false, runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') options.quick = true;
    else if (argv[i] === '--runs') options.runs = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]} (use --quick, --runs N)`);
  }
  if (options.quick) options.runs = 1;
  else if (!Number.isInteger(options.runs) || options.runs < 3) throw new Error('--runs needs at least 3');
  return options;
}

function selectWorkloads(filter) {
  if (!filter) return WORKLOADS;
  const names = filter.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!WORKLOADS.some((w) => w.name === name)) {
      throw new Error(`no workload ${name}; there are: ${WORKLOADS.map((w) => w.name).join(' ')}`);
    }
  }
  return WORKLOADS.filter((w) => names.includes(w.name));
}

// The program's one `result key=value ...` line.
function parseResult(stdout) {
  const line = stdout.split('\n').find((l) => l.startsWith('result '));
  if (!line) return null;
  return Object.fromEntries(line.slice('result '.length).split(' ').map((pair) => pair.split('=')));
}

async function runOnce(module, args) {
  const run = await runWasi(module, { args });
  const result = parseResult(run.stdout);
  if (run.exitCode !== 0 || !result) {
    const why = run.trap ? `trap: ${run.trap}` : `exit code ${run.exitCode}`;
    throw new Error(`${why}\n${run.stderr.trim()}`);
  }
  return { ms: run.elapsedMs, memoryBytes: run.memoryBytes, result };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function measure(workload, options) {
  const args = options.quick ? workload.quick : workload.args;
  const modules = {};
  const samples = {};
  for (const allocator of ALLOCATORS) {
    modules[allocator] = await compileWasm(join(BUILD, `${workload.program}-${allocator}.wasm`));
    samples[allocator] = [];
    await runOnce(modules[allocator], workload.quick);
  }
  // Alternating the allocators spreads any drift of the machine (other load, heat) evenly.
  for (let k = 1; k <= options.runs; k++) {
    for (const allocator of ALLOCATORS) {
      process.stderr.write(`${workload.name}: ${allocator} run ${k} of ${options.runs}... `);
      const sample = await runOnce(modules[allocator], args);
      process.stderr.write(`${sample.ms.toFixed(1)} ms\n`);
      samples[allocator].push(sample);
    }
  }
  const summary = { name: workload.name, args };
  for (const allocator of ALLOCATORS) {
    const times = samples[allocator].map((s) => s.ms);
    const first = samples[allocator][0].result;
    summary[allocator] = {
      timesMs: times.map((t) => Number(t.toFixed(2))),
      medianMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      memoryBytes: Math.max(...samples[allocator].map((s) => s.memoryBytes)),
      peakLiveBytes: Number(first.peak_live),
      checksum: first.checksum,
    };
  }
  const checksums = new Set(ALLOCATORS.flatMap((a) => samples[a].map((s) => s.result.checksum)));
  if (checksums.size !== 1) throw new Error(`checksums differ between runs: ${[...checksums].join(' ')}`);
  summary.speedup = summary.dlmalloc.medianMs / summary.walloc.medianMs;
  summary.memoryRatio = summary.walloc.memoryBytes / summary.dlmalloc.memoryBytes;
  return summary;
}

function codeSizes() {
  return Object.fromEntries(
    ALLOCATORS.map((a) => [a, statSync(join(BUILD, `malloc-family-${a}.wasm`)).size]),
  );
}

const mib = (bytes) => (bytes / 1048576).toFixed(2);
const percent = (summary, allocator) =>
  `${((100 * summary[allocator].peakLiveBytes) / summary[allocator].memoryBytes).toFixed(0)} %`;
const timing = (s) => `${s.medianMs.toFixed(1)} (${s.minMs.toFixed(0)}–${s.maxMs.toFixed(0)})`;

function printTable(summaries, failures, sizes, runs) {
  const header = [
    'workload', 'dlmalloc ms (min–max)', 'walloc ms (min–max)', 'speedup',
    'dlmalloc MiB', 'walloc MiB', 'memory ratio', 'heap efficiency dl / walloc',
  ];
  const rows = summaries.map((s) => [
    s.name, timing(s.dlmalloc), timing(s.walloc), `${s.speedup.toFixed(2)}×`,
    mib(s.dlmalloc.memoryBytes), mib(s.walloc.memoryBytes), s.memoryRatio.toFixed(2),
    `${percent(s, 'dlmalloc')} / ${percent(s, 'walloc')}`,
  ]);
  for (const f of failures) rows.push([f.name, 'FAILED', '', '', '', '', '', '']);
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  console.log(`\nMedian of ${runs} run(s); speedup = dlmalloc ms / walloc ms; memory = linear memory at exit;`);
  console.log('memory ratio = walloc / dlmalloc; heap efficiency = peak live requested bytes / memory.\n');
  console.log(lines.join('\n'));
  if (summaries.length > 1) {
    const geomean = Math.exp(summaries.reduce((sum, s) => sum + Math.log(s.speedup), 0) / summaries.length);
    console.log(`\nGeometric mean speedup: ${geomean.toFixed(2)}×`);
  }
  console.log(
    `\nCode size of a module exporting the malloc family (wasm-opt -Oz, stripped): ` +
      `dlmalloc ${sizes.dlmalloc} B, walloc ${sizes.walloc} B`,
  );
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const workloads = selectWorkloads(process.env.BENCH);
  const sizes = codeSizes();
  const summaries = [];
  const failures = [];
  for (const workload of workloads) {
    try {
      summaries.push(await measure(workload, options));
    } catch (error) {
      process.stderr.write(`\n${workload.name} FAILED: ${error.message}\n`);
      failures.push({ name: workload.name, error: error.message });
    }
  }
  printTable(summaries, failures, sizes, options.runs);
  if (!options.quick) {
    const cpu = cpus();
    const report = {
      date: new Date().toISOString(),
      machine: { cpu: cpu[0]?.model, cores: cpu.length, node: process.version, platform: process.platform },
      runs: options.runs,
      workloads: summaries,
      failures,
      codeSizeBytes: sizes,
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nWrote ${RESULTS}`);
  }
  if (failures.length) process.exit(1);
}

await main();
