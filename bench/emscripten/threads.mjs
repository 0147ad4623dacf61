// The emscripten threads benchmark (bench/emscripten/emscripten.mk): bench/emscripten/threads.c
// built with walloc's emscripten threads build and with emscripten's dlmalloc and emmalloc under
// -pthread (one lock around each of their calls; emcc 3.1.6 has no mimalloc). Each pass runs every
// allocator's program once, in turn, so that a change in the machine's load falls on all of
// them; each program times its rounds in one node process. Reported: the median over all rounds
// of every pass, throughput, and the ratios issue 15 asks for (2 threads against 1, walloc
// against the global lock at 2 threads).
//   node bench/emscripten/threads.mjs [--quick] [--runs N]     N passes (default 5)
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseOptions } from '../options.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = join(ROOT, 'build', 'bench-emscripten');
const ALLOCATORS = ['walloc', 'dlmalloc', 'emmalloc'];
const ROUNDS_PER_PASS = 2;
// Operations per thread: bench/threads/run.mjs's counts.
const WORKLOADS = [
  { name: 'churn', ops: 3000000, quick: 100000 },
  { name: 'random-actions', ops: 1000000, quick: 50000 },
];

const options = parseOptions(process.argv.slice(2), 1);
const ops = WORKLOADS.map((w) => (options.quick ? w.quick : w.ops));
const rounds = options.quick ? 1 : ROUNDS_PER_PASS;
const samples = new Map(); // `${allocator} ${workload} ${threads}` -> ms of every round
const load = loadavg()[0];
for (let pass = 0; pass < options.runs; pass++)
  for (const allocator of ALLOCATORS) {
    const program = join(BUILD, `threads-${allocator}.js`);
    const run = spawnSync(process.execPath, [program, ...ops.map(String), String(rounds)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${program}: exit ${run.status}\n${run.stdout}${run.stderr}`);
    for (const line of run.stdout.split('\n').filter((l) => l.startsWith('result '))) {
      const [, workload, threads, ...ms] = line.split(' ');
      const key = `${allocator} ${workload} ${threads}`;
      samples.set(key, [...(samples.get(key) ?? []), ...ms.map(Number)]);
    }
  }

const ms = (allocator, workload, threads) => {
  const values = samples.get(`${allocator} ${workload} ${threads}`);
  if (!values) throw new Error(`no result for ${allocator} ${workload} on ${threads} threads`);
  return median(values);
};
const perRun = options.quick ? 'quick, one round' : `median of ${options.runs * rounds} rounds in ${options.runs} passes`;
console.log(`\n## emscripten threads (${perRun}; load average ${load.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after)\n`);
console.log('Every thread does the same work on blocks of its own; throughput counts all threads\' operations.\n');
console.log('| workload | allocator | threads | ms | M ops/s |');
console.log('| --- | --- | --- | --- | --- |');
for (const [w, workload] of WORKLOADS.entries())
  for (const allocator of ALLOCATORS)
    for (const threads of [1, 2]) {
      const t = ms(allocator, workload.name, threads);
      console.log(`| ${workload.name} | ${allocator} | ${threads} | ${t.toFixed(1)} | ${((threads * ops[w]) / t / 1000).toFixed(2)} |`);
    }
console.log('\n| workload | allocator | throughput, 2 threads / 1 thread | walloc\'s throughput / this one\'s, 1 thread | same, 2 threads |');
console.log('| --- | --- | --- | --- | --- |');
for (const workload of WORKLOADS)
  for (const allocator of ALLOCATORS) {
    const scaling = (2 * ms(allocator, workload.name, 1)) / ms(allocator, workload.name, 2);
    const against = (threads) => (allocator === 'walloc' ? '' : (ms(allocator, workload.name, threads) / ms('walloc', workload.name, threads)).toFixed(2));
    console.log(`| ${workload.name} | ${allocator} | ${scaling.toFixed(2)} | ${against(1)} | ${against(2)} |`);
  }
