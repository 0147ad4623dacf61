// Runs the benchmark workloads with every allocator that was built and prints one table per
// workload. It builds nothing: `make bench` builds the peers and the modules first, and passes
// the allocators it built in BENCH_ALLOCATORS.
//
//   node bench/run.mjs [--quick] [--runs N]      BENCH=name[,name...] selects workloads
//
// --quick runs every workload once per allocator with small counts: a smoke check of the
// harness and of each allocator, not a measurement, so it writes no results file. Neither does
// a run of some workloads only (BENCH=...): latest.json always holds a whole run.

import v8 from 'node:v8';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYNTHETIC_WORKLOADS, median, parseOptions, selectWorkloads } from './options.mjs';
import { compileWasm, runWasi } from '../tests/host/wasi-host.mjs';
import { writeChart } from './chart.mjs';

// With the baseline compiler on, V8 swaps in optimized code at moments that differ from run
// to run, which blurs the timings; optimizing everything up front (on the unmeasured warm-up
// run, since compilation is lazy) makes each timed run execute the same code.
v8.setFlagsFromString('--no-liftoff');

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = join(ROOT, 'build', 'bench');
const STATUS = join(ROOT, 'build', 'peers', 'status');
const VERSIONS = join(ROOT, 'build', 'peers', 'versions');
const RESULTS = join(ROOT, 'bench', 'results', 'latest.json');
const CHART = join(ROOT, 'bench', 'results', 'latest.svg');
// Every allocator the benchmark knows; the ones walloc is compared against are the peers.
const KNOWN_ALLOCATORS = ['dlmalloc', 'walloc', 'walloc-secure', 'mimalloc', 'emmalloc', 'floor'];
const PEERS = ['dlmalloc', 'mimalloc', 'emmalloc'];

// Full counts make a dlmalloc run take roughly 0.2 to 0.5 s (synthetic) or 1.5 to 3 s (real
// programs) on the 2-core reference machine. `check: 'output'` marks programs that print no
// result line: their output, timings removed, must be the same for every allocator.
const WORKLOADS = [
  ...SYNTHETIC_WORKLOADS,
  { name: 'sqlite', program: 'speedtest1', args: ['--memdb', '--size', '40'], quick: ['--memdb', '--size', '1'],
    runs: 3, check: 'output' },
  { name: 'json', program: 'json', args: ['150'], quick: ['4'], runs: 3 },
  { name: 'lua', program: 'lua', args: ['8'], quick: ['1'], runs: 3 },
];

const modulePath = (program, allocator) => join(BUILD, `${program}-${allocator}.wasm`);

// Why `name` (an allocator or a real program) is missing: bench/peers/build.sh and the
// secure-build rule leave the reason in build/peers/status/.
function skipReason(name) {
  const file = join(STATUS, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  return 'not built: `make bench` fetches and builds it (bench-quick only uses what is cached)';
}

function selectAllocators() {
  const listed = (process.env.BENCH_ALLOCATORS || 'dlmalloc walloc').split(/\s+/).filter(Boolean);
  const allocators = KNOWN_ALLOCATORS.filter((a) => listed.includes(a));
  const skipped = KNOWN_ALLOCATORS.filter((a) => !listed.includes(a)).map((a) => ({ name: a, reason: skipReason(a) }));
  return { allocators, skipped };
}

// FNV-1a over the text: a checksum for programs whose output is their result.
function hashText(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

// The program's one `result key=value ...` line or, for `check: 'output'`, its output with
// the timings (numbers followed by `s` at the end of a line) taken out.
function parseResult(workload, stdout) {
  if (workload.check === 'output') {
    return { checksum: hashText(stdout.replace(/[0-9.]+s$/gm, '')), peak_live: '0' };
  }
  const line = stdout.split('\n').find((l) => l.startsWith('result '));
  if (!line) return null;
  return Object.fromEntries(line.slice('result '.length).split(' ').map((pair) => pair.split('=')));
}

async function runOnce(workload, module, args) {
  const run = await runWasi(module, { args });
  const result = run.exitCode === 0 ? parseResult(workload, run.stdout) : null;
  if (!result) {
    const why = run.trap ? `trap: ${run.trap}` : `exit code ${run.exitCode}`;
    throw new Error(`${why}\n${run.stderr.trim()}`);
  }
  return { ms: run.elapsedMs, memoryBytes: run.memoryBytes, result };
}

async function measure(workload, allocators, options) {
  const args = options.quick ? workload.quick : workload.args;
  const runs = options.quick ? 1 : Math.min(options.runs, workload.runs ?? options.runs);
  const modules = {};
  const samples = {};
  for (const allocator of allocators) {
    modules[allocator] = await compileWasm(modulePath(workload.program, allocator));
    samples[allocator] = [];
    await runOnce(workload, modules[allocator], workload.quick);
  }
  // Alternating the allocators spreads any drift of the machine (other load, heat) evenly.
  for (let k = 1; k <= runs; k++) {
    for (const allocator of allocators) {
      process.stderr.write(`${workload.name}: ${allocator} run ${k} of ${runs}... `);
      const sample = await runOnce(workload, modules[allocator], args);
      process.stderr.write(`${sample.ms.toFixed(1)} ms\n`);
      samples[allocator].push(sample);
    }
  }
  const checksums = new Set(allocators.flatMap((a) => samples[a].map((s) => s.result.checksum)));
  if (checksums.size !== 1) throw new Error(`checksums differ between runs: ${[...checksums].join(' ')}`);
  const results = {};
  for (const allocator of allocators) {
    const times = samples[allocator].map((s) => s.ms);
    const peakLive = Number(samples[allocator][0].result.peak_live);
    results[allocator] = {
      timesMs: times.map((t) => Number(t.toFixed(2))),
      medianMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      memoryBytes: Math.max(...samples[allocator].map((s) => s.memoryBytes)),
      peakLiveBytes: peakLive > 0 ? peakLive : null,
    };
  }
  return { name: workload.name, program: workload.program, args, runs, checksum: [...checksums][0],
    allocators: results, ...ratios(results) };
}

// Speed ratios are baseline median / allocator median (above 1 = faster than the baseline);
// the best peer is the fastest of dlmalloc, mimalloc and emmalloc in this same run.
function ratios(results) {
  const peers = PEERS.filter((p) => results[p]);
  const bestPeer = peers.reduce((best, p) => (results[p].medianMs < results[best].medianMs ? p : best));
  for (const r of Object.values(results)) {
    r.vsDlmalloc = results.dlmalloc.medianMs / r.medianMs;
    r.vsBestPeer = results[bestPeer].medianMs / r.medianMs;
    r.memoryVsDlmalloc = r.memoryBytes / results.dlmalloc.memoryBytes;
  }
  return { bestPeer };
}

// The small-object issue's targets for walloc, judged on this run. A miss is reported, not an
// error: on a shared machine one run's medians can move by 10 % or more.
const SYNTHETIC = SYNTHETIC_WORKLOADS.map((w) => w.name);
const SMALL_OBJECTS = ['random-actions', 'churn', 'realloc-growth', 'frag-soak'];
const REAL = ['sqlite', 'json', 'lua'];

function targets(summaries, sizes) {
  const checks = [];
  // `reach`, for a speed target: the floor's own ratio, beyond which no allocator can go.
  const check = (what, value, goal, met, reach) =>
    checks.push({ what, value: Number(value.toFixed(3)), goal, met, ...(reach && { floor: Number(reach.toFixed(3)) }) });
  for (const s of summaries) {
    const { walloc, floor } = s.allocators;
    const secure = s.allocators['walloc-secure'];
    if (SYNTHETIC.includes(s.name)) {
      const goal = SMALL_OBJECTS.includes(s.name) ? 1.05 : 0.97;
      check(`${s.name}: speed vs best peer (${s.bestPeer})`, walloc.vsBestPeer, `>= ${goal}`, walloc.vsBestPeer >= goal,
        floor?.vsBestPeer);
    }
    if (REAL.includes(s.name)) check(`${s.name}: speed vs dlmalloc`, walloc.vsDlmalloc, '>= 1', walloc.vsDlmalloc >= 1);
    check(`${s.name}: memory vs dlmalloc`, walloc.memoryVsDlmalloc, '<= 1.10', walloc.memoryVsDlmalloc <= 1.1);
    if (s.name === 'mixed') {
      const efficiency = walloc.peakLiveBytes / walloc.memoryBytes;
      check('mixed: heap efficiency', efficiency, '>= 0.84', efficiency >= 0.84);
    }
    if (secure && ['churn', 'frag-soak'].includes(s.name)) {
      const cost = secure.medianMs / walloc.medianMs;
      check(`${s.name}: secure build's time / default build's`, cost, '<= 1.25', cost <= 1.25);
    }
  }
  check('code size in bytes', sizes.walloc, `<= dlmalloc's ${sizes.dlmalloc}`, sizes.walloc <= sizes.dlmalloc);
  return checks;
}

function codeSizes(allocators) {
  return Object.fromEntries(allocators.map((a) => [a, statSync(modulePath('malloc-family', a)).size]));
}

const mib = (bytes) => (bytes / 1048576).toFixed(2);
const times = (x) => `${x.toFixed(2)}×`;

function printWorkload(summary) {
  console.log(`\n### ${summary.name} (${summary.args.join(' ')}; median of ${summary.runs}, best peer ${summary.bestPeer})\n`);
  const header = ['allocator', 'median ms', 'min–max ms', 'peak MiB', 'vs dlmalloc', 'vs best peer', 'memory / dlmalloc', 'heap efficiency'];
  const rows = Object.entries(summary.allocators).map(([name, r]) => [
    name, r.medianMs.toFixed(1), `${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)}`, mib(r.memoryBytes),
    times(r.vsDlmalloc), times(r.vsBestPeer), r.memoryVsDlmalloc.toFixed(2),
    r.peakLiveBytes ? `${((100 * r.peakLiveBytes) / r.memoryBytes).toFixed(0)} %` : '–',
  ]);
  console.log([header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n'));
}

function printSummary(summaries, failures, skipped, sizes, checks) {
  console.log('\nvs X = X median ms / allocator median ms (above 1: faster than X); memory = linear memory');
  console.log('at exit (its peak); heap efficiency = peak live requested bytes / memory. floor is no allocator');
  console.log('but the workload with next to no allocator (bench/floor.c): no one can be faster than it.');
  for (const s of summaries) printWorkload(s);
  for (const f of failures) console.log(`\n### ${f.name}: FAILED\n\n${f.error}`);
  for (const s of skipped) console.log(`\nskipped ${s.name}: ${s.reason}`);
  console.log('\nCode size of a module exporting the malloc family (wasm-opt -Oz, stripped):');
  console.log(Object.entries(sizes).map(([a, bytes]) => `${a} ${bytes} B`).join(', '));
  if (!checks) return;
  const missed = checks.filter((c) => !c.met);
  console.log(`\nTargets for walloc: ${checks.length - missed.length} of ${checks.length} met in this run.`);
  for (const c of missed) {
    const reach = c.floor ? `; the floor itself reaches ${c.floor}` : '';
    console.log(`  missed: ${c.what} = ${c.value} (target ${c.goal}${reach})`);
  }
}

function peerVersions() {
  if (!existsSync(VERSIONS)) return {};
  return Object.fromEntries(readFileSync(VERSIONS, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')));
}

async function main() {
  const options = parseOptions(process.argv.slice(2), 3);
  const workloads = selectWorkloads(WORKLOADS, process.env.BENCH);
  const { allocators, skipped } = selectAllocators();
  const sizes = codeSizes(allocators);
  const summaries = [];
  const failures = [];
  for (const workload of workloads) {
    if (!existsSync(modulePath(workload.program, 'dlmalloc'))) {
      skipped.push({ name: workload.name, reason: skipReason(workload.name) });
      continue;
    }
    try {
      summaries.push(await measure(workload, allocators, options));
    } catch (error) {
      process.stderr.write(`\n${workload.name} FAILED: ${error.message}\n`);
      failures.push({ name: workload.name, error: error.message });
    }
  }
  const checks = options.quick ? null : targets(summaries, sizes);
  printSummary(summaries, failures, skipped, sizes, checks);
  if (!options.quick && !process.env.BENCH) {
    const cpu = cpus();
    const report = {
      date: new Date().toISOString(),
      machine: { cpu: cpu[0]?.model, cores: cpu.length, node: process.version, platform: process.platform },
      runs: options.runs,
      allocators,
      skipped,
      versions: peerVersions(),
      workloads: summaries,
      failures,
      codeSizeBytes: sizes,
      targets: checks,
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    writeChart(report, CHART);
    console.log(`\nWrote ${RESULTS} and ${CHART}`);
  }
  if (failures.length) process.exit(1);
}

await main();
