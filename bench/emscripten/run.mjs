// The synthetic workloads built by emcc three ways, in one node process, alternating: with
// emscripten's own dlmalloc and emmalloc (-sMALLOC=...) and with walloc (-sMALLOC=none and
// build/emscripten/libwalloc.a); bench/emscripten.mk builds them. Each module is loaded with
// its main held back (-sINVOKE_RUN=0), then main is timed alone; the memory is the module's at
// exit (its peak: wasm memory never shrinks). The result lines' checksums must agree.
//   node bench/emscripten/run.mjs [--quick] [--runs N]     BENCH=name[,name] selects workloads
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { median, parseOptions, selectWorkloads } from '../options.mjs';

// As in bench/run.mjs: optimized code from the start, so each timed run executes the same code.
v8.setFlagsFromString('--no-liftoff');

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = join(ROOT, 'build', 'bench-emscripten');
const ALLOCATORS = ['dlmalloc', 'emmalloc', 'walloc'];
const BASELINE = 'dlmalloc';
// The counts of bench/run.mjs, halved: emscripten's own allocators run the same programs.
const WORKLOADS = [
  { name: 'random-actions', program: 'random-actions', args: ['1500000', '0'], quick: ['50000', '0'] },
  { name: 'random-actions-realloc', program: 'random-actions', args: ['1500000', '20'], quick: ['50000', '20'] },
  { name: 'churn', program: 'churn', args: ['3000000'], quick: ['100000'] },
  { name: 'realloc-growth', program: 'realloc-growth', args: ['1000000'], quick: ['50000'] },
  { name: 'big-buffers', program: 'big-buffers', args: ['40000'], quick: ['2000'] },
  { name: 'mixed', program: 'mixed', args: ['1000000'], quick: ['50000'] },
  { name: 'frag-soak', program: 'frag-soak', args: ['100'], quick: ['6'] },
];

const require = createRequire(import.meta.url);

// A fresh instance of the module each run: require() caches, so the cache entry goes first.
function runOnce(program, allocator, args) {
  const path = join(BUILD, `${program}-${allocator}.js`);
  delete require.cache[path];
  const Module = require(path);
  // The module printed through a console.log it bound when loaded: its lines are taken from
  // stdout itself while main runs.
  let text = '';
  const write = process.stdout.write;
  process.stdout.write = (chunk) => { text += chunk; return true; };
  const start = performance.now();
  let status = 0;
  try {
    status = Module.callMain(args);
  } catch (e) {
    if (e?.name !== 'ExitStatus') throw e;
    status = e.status;
  } finally {
    process.stdout.write = write;
  }
  const ms = performance.now() - start;
  // Each load adds emscripten's handlers for node's uncaught errors; they go with the module.
  process.removeAllListeners('uncaughtException');
  process.removeAllListeners('unhandledRejection');
  const lines = text.split('\n');
  const line = lines.find((l) => l.startsWith('result '));
  if (status !== 0 || !line) throw new Error(`${program}-${allocator}: exit ${status}\n${lines.join('\n')}`);
  const checksum = /checksum=(\w+)/.exec(line)[1];
  return { ms, memoryBytes: Module.HEAPU8.length, checksum };
}

const options = parseOptions(process.argv.slice(2), 1);
const workloads = selectWorkloads(WORKLOADS, process.env.BENCH);
const rows = [];
for (const workload of workloads) {
  const args = options.quick ? workload.quick : workload.args;
  const samples = Object.fromEntries(ALLOCATORS.map((a) => [a, []]));
  for (let run = 0; run < (options.quick ? 1 : options.runs); run++)
    for (const allocator of ALLOCATORS) samples[allocator].push(runOnce(workload.program, allocator, args));
  const checksums = new Set(ALLOCATORS.flatMap((a) => samples[a].map((s) => s.checksum)));
  if (checksums.size !== 1) throw new Error(`${workload.name}: the allocators computed different results`);
  const base = { ms: median(samples[BASELINE].map((s) => s.ms)), memory: samples[BASELINE][0].memoryBytes };
  for (const allocator of ALLOCATORS) {
    const ms = median(samples[allocator].map((s) => s.ms));
    const memory = Math.max(...samples[allocator].map((s) => s.memoryBytes));
    rows.push(`| ${workload.name} | ${allocator} | ${ms.toFixed(1)} | ${(base.ms / ms).toFixed(2)}× | ` +
      `${(memory / 1048576).toFixed(2)} | ${(memory / base.memory).toFixed(2)} |`);
  }
}
console.log(`\n## emscripten ${options.quick ? '(quick, one run)' : `(median of ${options.runs})`}: walloc beside emscripten's own allocators\n`);
console.log('| workload | allocator | ms | speed vs dlmalloc | memory MiB | memory vs dlmalloc |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
