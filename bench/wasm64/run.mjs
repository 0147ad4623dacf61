// Times the synthetic workloads on walloc's freestanding wasm64 build beside its wasm32 build,
// in one engine and one run: the same sources (bench/*.c over bench/wasm64/shim.c), linked
// against build/wasm32/libwalloc.a and build/wasm64/libwalloc.a (bench/wasm64/wasm64.mk). The
// ratio is wasm64's median time over wasm32's: what 64-bit pointers and bounds checks cost.
// The floor (bench/floor.c) runs too: its ratio is what 64-bit code costs the workload's own
// work (drawing requests, stamping and checking blocks), against which walloc's reads.
//
//   node bench/wasm64/run.mjs DIR [--quick] [--runs N]     BENCH=name[,name...] selects workloads
//
// Runs of the two builds alternate, each on a fresh instance, after one unmeasured warm-up of
// each, so a slower moment of a shared machine falls on both. Needs node 24 (scripts/node24-npm).
import v8 from 'node:v8';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYNTHETIC_WORKLOADS, median, parseOptions, selectWorkloads } from '../options.mjs';

// As bench/run.mjs: optimized code from the first run on, so each timed run executes the same.
v8.setFlagsFromString('--no-liftoff');

// The counts of bench/run.mjs, so the figures read beside bench/README.md's; then loop.c, malloc
// and free alone.
const WORKLOADS = [
  ...SYNTHETIC_WORKLOADS,
  { name: 'loop', program: 'loop', args: ['20000000'], quick: ['1000000'] },
];
const TARGETS = ['wasm32', 'wasm64'];
const ALLOCATORS = ['walloc', 'floor'];

const [dir, ...rest] = process.argv.slice(2);
if (!dir) throw new Error('usage: node bench/wasm64/run.mjs DIR [--quick] [--runs N]');
const options = parseOptions(rest, 3);
const workloads = selectWorkloads(WORKLOADS, process.env.BENCH);
const modules = new Map();
const compiled = (program, target) => {
  const key = `${program}-${target}`; // target: e.g. walloc-wasm64
  if (!modules.has(key)) modules.set(key, new WebAssembly.Module(readFileSync(join(dir, `${key}.wasm`))));
  return modules.get(key);
};

// One run of `program` built as `target` (allocator-target) on a fresh instance:
// { ms, result (the `result ...` line), memoryBytes }.
function runOnce(program, target, args) {
  const { exports } = new WebAssembly.Instance(compiled(program, target), {});
  const address = (value) => Number(value);
  const argv = new TextEncoder().encode([program, ...args].join('\0') + '\0');
  new Uint8Array(exports.memory.buffer, address(exports.args_buffer()), argv.length).set(argv);
  const start = performance.now();
  let status;
  try {
    status = exports.run(1 + args.length);
  } catch (error) {
    if (!(error instanceof WebAssembly.RuntimeError)) throw error;
    status = exports.exit_code() || 134;
  }
  const ms = performance.now() - start;
  const output = new TextDecoder().decode(new Uint8Array(exports.memory.buffer, address(exports.output_buffer()),
    address(exports.output_size())));
  if (status !== 0) throw new Error(`${program} on ${target} failed with status ${status}: ${output}`);
  const result = output.split('\n').find((line) => line.startsWith('result '));
  if (!result) throw new Error(`${program} on ${target} printed no result line: ${output}`);
  return { ms, result, memoryBytes: exports.memory.buffer.byteLength };
}

const rows = [];
for (const workload of workloads) {
  const args = options.quick ? workload.quick : workload.args;
  const builds = ALLOCATORS.flatMap((a) => TARGETS.map((t) => `${a}-${t}`));
  const times = Object.fromEntries(builds.map((b) => [b, []]));
  const results = new Map(ALLOCATORS.map((a) => [a, new Set()]));
  const memory = {};
  if (!options.quick) for (const build of builds) runOnce(workload.program, build, args);
  for (let k = 0; k < options.runs; k++) {
    for (const build of builds) {
      const { ms, result, memoryBytes } = runOnce(workload.program, build, args);
      times[build].push(ms);
      results.get(build.split('-')[0]).add(result.replace(/ peak_live=\d+/, ''));
      memory[build] = memoryBytes;
    }
  }
  for (const [allocator, seen] of results) {
    if (seen.size !== 1) throw new Error(`${workload.name}: ${allocator}'s builds disagree: ${[...seen].join(' | ')}`);
  }
  const ms = Object.fromEntries(builds.map((b) => [b, median(times[b])]));
  rows.push({ name: workload.name, ms, memory,
    ratio: ms['walloc-wasm64'] / ms['walloc-wasm32'], floorRatio: ms['floor-wasm64'] / ms['floor-wasm32'],
    spread: Object.fromEntries(TARGETS.map((t) => [t, [Math.min(...times[`walloc-${t}`]), Math.max(...times[`walloc-${t}`])]])) });
}

const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
const x = (ratio) => `${ratio.toFixed(2)}x`;
console.log(`\n### walloc on wasm64 beside wasm32 (${process.version}, median of ${options.runs}${options.quick ? ', quick' : ''})\n`);
const range = ([low, high]) => `${low.toFixed(0)}–${high.toFixed(0)}`;
console.log('| workload | wasm32 ms (min–max) | wasm64 ms (min–max) | wasm64 / wasm32 | floor: wasm64 / wasm32 | memory MiB (32 / 64) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.ms['walloc-wasm32'].toFixed(1)} (${range(r.spread.wasm32)}) | ` +
    `${r.ms['walloc-wasm64'].toFixed(1)} (${range(r.spread.wasm64)}) | ${x(r.ratio)} | ${x(r.floorRatio)} | ` +
    `${mib(r.memory['walloc-wasm32'])} / ${mib(r.memory['walloc-wasm64'])} |`);
}
const worst = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
console.log(`\nworst ratio ${x(worst.ratio)} (${worst.name}); target: within 1.25x on every workload`);
console.log('floor: the same workload over bench/floor.c, the least an allocator can do (its own 64-bit cost)');
