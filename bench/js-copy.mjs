// JS-side data movement through walloc.mjs: copyIn/copyOut (checked against the block) and the
// bulk helpers fill/copy (one memory.fill / memory.copy) against what a JS program would write
// by hand: a typed-array set/fill/copyWithin, and the u32 loops the reference README proposes
// (its SIMD fill has no JavaScript form; its u32 copy does). Each figure is the median of 5
// alternating rounds; ratio = baseline time / walloc time (above 1: walloc is faster).
// `--quick` runs a few iterations only, to check that the benchmark still works.
import { Walloc } from '../js/walloc.mjs';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 1 : 5;
const TARGET_NS = QUICK ? 2e6 : 4e7;
const SIZES = [64, 4096, 1 << 20];

const heap = await Walloc.instantiate({ tiers: false });

function fillU32(buffer, ptr, byte, n) {
  const words = new Uint32Array(buffer, ptr, n >>> 2);
  const splat = byte * 0x01010101;
  for (let i = 0; i < words.length; i++) words[i] = splat;
  const bytes = new Uint8Array(buffer, ptr, n);
  for (let i = n & ~3; i < n; i++) bytes[i] = byte;
}

function copyU32(buffer, dst, src, n) {
  const to = new Uint32Array(buffer, dst, n >>> 2);
  const from = new Uint32Array(buffer, src, n >>> 2);
  for (let i = 0; i < to.length; i++) to[i] = from[i];
  const b = new Uint8Array(buffer);
  for (let i = n & ~3; i < n; i++) b[dst + i] = b[src + i];
}

function copyInU32(buffer, dst, source) {
  const to = new Uint32Array(buffer, dst, source.length >>> 2);
  const from = new Uint32Array(source.buffer, source.byteOffset, source.length >>> 2);
  for (let i = 0; i < to.length; i++) to[i] = from[i];
}

// Nanoseconds per call of fn, timed over enough calls to take about TARGET_NS.
function timeOne(fn, calls) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / calls;
}

function calibrate(fn) {
  let calls = 1;
  while (timeOne(fn, calls) * calls < TARGET_NS / 10 && calls < 1e8) calls *= 4;
  return Math.max(1, Math.round((calls * TARGET_NS) / (timeOne(fn, calls) * calls)));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

// Times the candidates in alternation; resolves to { name: ns per call }.
function compare(candidates) {
  const calls = Object.fromEntries(Object.entries(candidates).map(([name, fn]) => [name, calibrate(fn)]));
  const samples = Object.fromEntries(Object.keys(candidates).map((name) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(candidates)) samples[name].push(timeOne(fn, calls[name]));
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

const rows = [];
const gbps = (bytes, ns) => (bytes / ns).toFixed(2);

for (const size of SIZES) {
  const a = heap.malloc(size);
  const b = heap.malloc(size);
  const source = new Uint8Array(size).map((_, i) => i);
  const buffer = heap.buffer;
  const tasks = {
    copyIn: {
      walloc: () => heap.copyIn(a, source),
      'typed set': () => new Uint8Array(buffer, a, size).set(source),
      'u32 loop': () => copyInU32(buffer, a, source),
    },
    copyOut: {
      walloc: () => heap.copyOut(a, size),
      'typed slice': () => new Uint8Array(buffer, a, size).slice(),
    },
    fill: {
      walloc: (i) => heap.fill(a, i & 0xff, size),
      'typed fill': (i) => new Uint8Array(buffer, a, size).fill(i & 0xff),
      'u32 loop': (i) => fillU32(buffer, a, i & 0xff, size),
    },
    copy: {
      walloc: () => heap.copy(b, a, size),
      'typed copyWithin': () => new Uint8Array(buffer).copyWithin(b, a, a + size),
      'u32 loop': () => copyU32(buffer, b, a, size),
    },
  };
  for (const [op, candidates] of Object.entries(tasks)) {
    const ns = compare(candidates);
    for (const [name, time] of Object.entries(ns)) {
      if (name === 'walloc') continue;
      rows.push([op, size, name, gbps(size, ns.walloc), gbps(size, time), (time / ns.walloc).toFixed(2)]);
    }
  }
  heap.free(a);
  heap.free(b);
}

const header = ['op', 'bytes', 'baseline', 'walloc GB/s', 'baseline GB/s', 'ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => cells.map((c, i) => (i < 3 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
console.log(`JS data movement${QUICK ? ' (quick run, numbers not meaningful)' : ''}: ratio = baseline time / walloc time`);
console.log(line(header));
for (const row of rows) console.log(line(row));
