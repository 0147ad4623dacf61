// The threads benchmark (bench/threads/threads.mk): `node bench/threads/run.mjs [--quick] DIR
// [THREADS]` runs bench/threads/work.c's workloads, each thread on blocks of its own, in node
// workers on one shared memory (tests/threads/worker.mjs starts each thread), for every thread
// count in THREADS (default 1,2): walloc's threads build and dlmalloc behind one lock, and
// walloc's single-threaded build on one thread. Rounds alternate the allocators; the median
// time of each is reported with the throughput ratios the issue judges, all from this run.
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const args = process.argv.slice(2);
const quick = args[0] === '--quick';
const [dir, threadList = '1,2'] = args.filter((a) => a !== '--quick');
const COUNTS = threadList.split(',').map(Number);
const ROUNDS = quick ? 1 : 7;
const WORKLOADS = [
  { name: 'churn', id: 0, ops: quick ? 100000 : 3000000 },
  { name: 'random-actions', id: 1, ops: quick ? 50000 : 3000000 },
];
const STACK = 128 << 10;
const worker = new URL('../../tests/threads/worker.mjs', import.meta.url);

// One allocator's module on `count` threads: the first instance on this thread sets up, the
// workers run; run(workload) resolves to the wall time of all of them.
async function threaded(file, count) {
  const module = await WebAssembly.compile(readFileSync(file));
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 16384, shared: true });
  const first = (await WebAssembly.instantiate(module, { env: { memory } })).exports;
  if (first.first_thread_init() !== 0) throw new Error(`${file}: thread-local block too large`);
  const threads = [];
  for (let i = 0; i < count; i++) threads.push(await start(new Worker(worker)));
  for (const t of threads) {
    const reply = await t.call({ op: 'init', module, memory, area: first.thread_area(STACK), stack: STACK });
    if (reply.trap) throw new Error(`${file}: thread start trapped: ${reply.trap}`);
  }
  return {
    async run(workload) {
      first.set_ops(workload.ops);
      const began = performance.now();
      const replies = await Promise.all(threads.map((t, id) => t.call({ op: 'run', scenario: workload.id, id })));
      const elapsed = performance.now() - began;
      const bad = replies.find((r) => r.trap || r.result !== 0);
      if (bad) throw new Error(`${file} ${workload.name}: ${JSON.stringify(bad)}`);
      return elapsed;
    },
    memory: () => memory.buffer.byteLength,
    close: () => threads.forEach((t) => t.terminate()),
  };
}

// The single-threaded build, on this thread: no shared memory, no workers.
async function single(file) {
  const { exports } = (await WebAssembly.instantiate(readFileSync(file))).instance;
  return {
    async run(workload) {
      exports.set_ops(workload.ops);
      const began = performance.now();
      exports.run(workload.id, 0);
      return performance.now() - began;
    },
    memory: () => exports.memory.buffer.byteLength,
    close() {},
  };
}

function start(w) {
  let pending;
  return new Promise((ready) => {
    w.on('message', (message) => {
      if (message?.ready) return ready({ call, terminate: () => w.terminate() });
      pending(message);
    });
  });
  function call(message) {
    return new Promise((resolve) => {
      pending = resolve;
      w.postMessage(message);
    });
  }
}

const configs = [{ label: 'walloc 1 thread (single-threaded build)', make: () => single(`${dir}/work-walloc.wasm`), threads: 1, key: 'single' }];
for (const count of COUNTS) {
  configs.push({ label: `walloc-threads ${count}`, make: () => threaded(`${dir}/work-walloc-threads.wasm`, count), threads: count, key: `threads${count}` });
  if (existsSync(`${dir}/work-dlmalloc-lock.wasm`))
    configs.push({ label: `dlmalloc-lock ${count}`, make: () => threaded(`${dir}/work-dlmalloc-lock.wasm`, count), threads: count, key: `lock${count}` });
}

const times = new Map();
for (const c of configs) {
  c.instance = await c.make();
  for (const w of WORKLOADS) await c.instance.run({ ...w, ops: Math.ceil(w.ops / 10) }); // warm-up
}
for (let round = 0; round < ROUNDS; round++)
  for (const w of WORKLOADS)
    for (const c of configs) {
      const key = `${w.name} ${c.key}`;
      times.set(key, [...(times.get(key) ?? []), await c.instance.run(w)]);
    }
for (const c of configs) {
  c.memoryBytes = c.instance.memory();
  c.instance.close();
}

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const t = (w, key) => (times.has(`${w} ${key}`) ? median(times.get(`${w} ${key}`)) : NaN);
console.log(`threads benchmark (${quick ? 'quick, 1 round' : `median of ${ROUNDS} rounds`}), each thread doing the same work:`);
for (const w of WORKLOADS) {
  console.log(`\n${w.name}, ${w.ops} operations per thread`);
  for (const c of configs) {
    const ms = t(w.name, c.key);
    console.log(`  ${c.label.padEnd(42)} ${ms.toFixed(1).padStart(8)} ms  ${((c.threads * w.ops) / ms / 1000).toFixed(2).padStart(7)} M ops/s`);
  }
}
// One memory per allocator and thread count, grown by every workload and round: its size at the
// end is the most the allocator needed for any of them.
console.log('\nmemory at the end (the largest any workload needed)');
for (const c of configs) console.log(`  ${c.label.padEnd(42)} ${(c.memoryBytes / 1048576).toFixed(2).padStart(8)} MiB`);
// The issue's targets: scaling, against the lock, and what the threads build costs one thread.
const verdicts = [];
const judge = (what, value, ok) => verdicts.push(`  ${ok ? 'met   ' : 'MISSED'} ${what}: ${value.toFixed(2)}`);
for (const w of WORKLOADS) {
  const top = Math.max(...COUNTS);
  if (COUNTS.includes(1) && top > 1)
    judge(`${w.name}: ${top} threads' throughput / 1 thread's (target >= ${top === 2 ? '1.7' : `${0.85 * top}`})`,
      (top * t(w.name, 'threads1')) / t(w.name, `threads${top}`), (top * t(w.name, 'threads1')) / t(w.name, `threads${top}`) >= 0.85 * top);
  if (times.has(`${w.name} lock${top}`))
    judge(`${w.name}: walloc-threads / dlmalloc-lock throughput at ${top} threads (target >= 1.5)`,
      t(w.name, `lock${top}`) / t(w.name, `threads${top}`), t(w.name, `lock${top}`) / t(w.name, `threads${top}`) >= 1.5);
  if (COUNTS.includes(1))
    judge(`${w.name}: threads build's time / single-threaded build's at 1 thread (target <= 1.15)`,
      t(w.name, 'threads1') / t(w.name, 'single'), t(w.name, 'threads1') / t(w.name, 'single') <= 1.15);
}
// A quick run is a smoke check of the harness: too short to judge anything by.
if (quick) console.log('\ntargets: not judged on a quick run');
else console.log(`\ntargets:\n${verdicts.join('\n')}`);
