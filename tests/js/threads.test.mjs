// WallocThreads (js/threads.mjs): one heap on a shared memory, used by the main thread and node
// worker_threads (tests/js/threads-worker.mjs) at once: churn with blocks handed between workers
// (demo/churn.mjs), blocks freed and resized by another thread than their allocator's, past
// memory another thread grew, exact stats once every thread exited, the stop after a double
// free from two workers, and the checks of arguments and handoffs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Walloc, WallocThreads } from '../../js/index.mjs';
import { Ring, ringBytes } from '../../demo/churn.mjs';

const MIB = 1024 * 1024;
const TIMEOUT = { timeout: 30000 }; // a heap that let a thread wait on walloc's lock would hang

// A worker joined to `heap`, as { call(op, fields), terminate() }: call resolves to the result,
// or rejects with an Error of the name and message the worker caught.
async function joined(heap) {
  const worker = new Worker(new URL('./threads-worker.mjs', import.meta.url));
  const call = (op, fields = {}) => new Promise((resolve, reject) => {
    worker.once('message', ({ result, error }) => {
      if (!error) return resolve(result);
      const thrown = new Error(error.message);
      thrown.name = error.name;
      reject(thrown);
    });
    worker.postMessage({ op, ...fields });
  });
  await call('join', { handoff: heap.handoff() });
  return { call, method: (method, ...args) => call('call', { method, args }), terminate: () => worker.terminate() };
}

async function withWorkers(heap, count, body) {
  const workers = [];
  try {
    for (let i = 0; i < count; i++) workers.push(await joined(heap));
    return await body(workers);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

test('four workers churn, hand blocks round a ring, and leave live bytes and counts as they found them', TIMEOUT, async () => {
  const heap = await WallocThreads.instantiate({ maximumBytes: 256 * MIB });
  const start = heap.stats();
  await withWorkers(heap, 4, async (workers) => {
    const areas = heap.stats().liveBytes - start.liveBytes; // each worker's stack and thread-local block
    const rings = workers.map(() => new SharedArrayBuffer(ringBytes(256)));
    const counts = await Promise.all(workers.map((w, id) =>
      w.call('churn', { id, inbound: rings[id], outbound: rings[(id + 1) % rings.length], ops: 4000 })));
    for (const [id, c] of counts.entries()) {
      assert.equal(c.allocations, 4000, `worker ${id}`);
      // How many depends on how the workers were scheduled (a full ring keeps a block home), but
      // the first blocks always find their ring empty.
      assert.ok(c.handed > 0 && c.received > 0, `worker ${id} handed ${c.handed} and received ${c.received}`);
      assert.equal(c.received, counts[(id + 3) % 4].handed, `worker ${id} received all its neighbour handed`);
    }
    // Quiescent: every block is freed, though the workers' caches still hold some (counted free).
    heap.check();
    const quiet = heap.stats();
    assert.equal(quiet.liveBytes, start.liveBytes + areas);
    assert.ok(quiet.memoryBytes > 4 * MIB, `large blocks grew memory from the workers (${quiet.memoryBytes} bytes)`);
    for (const w of workers) await w.method('exitThread');
    const end = heap.stats();
    assert.equal(end.liveBytes, start.liveBytes, 'live bytes back where they started');
    const allocations = counts.reduce((sum, c) => sum + c.allocations, 0) + workers.length; // and the areas
    assert.equal(end.allocCount - start.allocCount, allocations);
    assert.equal(end.freeCount - start.freeCount, allocations);
    heap.check();
  });
});

test('a block is read, resized and freed by other threads than its allocator, past memory another grew', TIMEOUT, async () => {
  const heap = await WallocThreads.instantiate();
  const before = heap.buffer.byteLength;
  await withWorkers(heap, 2, async ([a, b]) => {
    const ptr = await a.method('malloc', 8 * MIB);
    await a.method('fill', ptr, 0x5c, 8 * MIB);
    assert.ok(ptr + 8 * MIB > before, 'the block lies past the main thread\'s buffer');
    assert.ok(heap.view(ptr, 8 * MIB).every((byte) => byte === 0x5c), 'the main thread sees the worker\'s bytes');
    heap.fill(ptr, 0x11, 16);
    const moved = await b.method('realloc', ptr, 12 * MIB);
    const head = await b.method('copyOut', moved, 32);
    assert.deepEqual([...head], [...new Array(16).fill(0x11), ...new Array(16).fill(0x5c)]);
    const small = heap.malloc(40);
    heap.fill(small, 7, 40);
    assert.deepEqual([...(await a.method('copyOut', small, 40))], new Array(40).fill(7));
    await a.method('free', small);
    await b.method('free', moved);
    assert.throws(() => heap.view(moved, 1), /is not the start of a live block/);
    heap.check();
    assert.equal(heap.stopped, false);
  });
});

test('a double free from two workers at once is reported once and stops the heap for every thread', TIMEOUT, async () => {
  const heap = await WallocThreads.instantiate();
  await withWorkers(heap, 3, async ([a, b, c]) => {
    const ptr = heap.malloc(64);
    const barrier = new SharedArrayBuffer(4);
    const outcomes = await Promise.allSettled([a, b].map((w) => w.call('free-together', { ptr, barrier, parties: 2 })));
    const report = `walloc: double free of 0x${ptr.toString(16)}`;
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
    assert.equal(outcomes.find((o) => o.status === 'rejected').reason.message, report);
    assert.equal(heap.stopped, true);
    const stopped = { name: 'Error', message: `walloc: the heap stopped after a report: ${report}` };
    assert.throws(() => heap.malloc(8), stopped);
    assert.throws(() => heap.stats(), stopped);
    assert.throws(() => heap.handoff(), stopped);
    await assert.rejects(c.method('malloc', 8), stopped);
    heap.exitThread(); // does nothing on a stopped heap
  });
});

test('a double free reported under walloc\'s lock stops the heap without leaving threads to wait for it', TIMEOUT, async () => {
  const heap = await WallocThreads.instantiate();
  await withWorkers(heap, 2, async ([a, b]) => {
    const ptr = heap.malloc(200000); // a large block: its free takes the lock, and its report too
    await a.method('free', ptr);
    await assert.rejects(b.method('free', ptr), { message: `walloc: double free of 0x${ptr.toString(16)}` });
    // Asked of a worker first, with a deadline: a main thread waiting on the lock could not even
    // time out (a heap that did not stop would hang the test run).
    const answer = (call) => Promise.race([call.then(() => 'returned', (error) => error.message),
      sleep(5000, 'still waiting for walloc\'s lock after 5 s', { ref: false })]);
    assert.match(await answer(a.method('malloc', 100000)), /^walloc: the heap stopped after a report/);
    assert.match(await answer(b.method('check')), /^walloc: the heap stopped after a report/);
    assert.throws(() => heap.malloc(100000), /walloc: the heap stopped after a report/);
  });
});

test('a pointer that starts no live block is refused by views and usableSize, and the heap goes on', async () => {
  const heap = await WallocThreads.instantiate();
  const ptr = heap.malloc(100);
  const large = heap.malloc(100000);
  heap.free(ptr);
  for (const bad of [ptr, large + 16, 8]) {
    assert.throws(() => heap.view(bad, 4), { name: 'Error', message: `walloc: 0x${bad.toString(16)} is not the start of a live block` });
    assert.throws(() => heap.usableSize(bad), /is not the start of a live block/);
  }
  assert.throws(() => heap.copyIn(large, new Uint8Array(heap.usableSize(large) + 1)), RangeError);
  assert.throws(() => heap.usableSize(-8), RangeError);
  assert.throws(() => heap.free(1.5), TypeError);
  assert.equal(heap.stopped, false);
  assert.equal(heap.usableSize(0), 0);
  assert.ok(heap.usableSize(large) >= 100000);
  heap.free(large);
  heap.check();
});

test('two thread objects on one JavaScript thread: handoff, join once, exitThread', async () => {
  const heap = await WallocThreads.instantiate({ maxBytes: 64 * MIB, throwOnOOM: false });
  const handoff = heap.handoff();
  const other = await WallocThreads.join(handoff);
  await assert.rejects(WallocThreads.join(handoff), /was joined already/);
  const ptr = other.malloc(24);
  heap.copyIn(ptr, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...other.copyOut(ptr, 3)], [1, 2, 3]);
  heap.free(ptr);
  assert.equal(heap.malloc(128 * MIB), 0, 'maxBytes caps the heap; throwOnOOM: false returns 0');
  assert.ok(other instanceof Walloc && other.tierMark !== undefined);
  assert.throws(() => other.tierAlloc(0, 8), /no tier 0/);
  other.exitThread();
  other.exitThread();
  assert.throws(() => other.malloc(8), /this thread has left the heap/);
  assert.equal(heap.stats().liveBytes, 0, 'the area of the thread that left is freed');
  heap.check();
});

test('options and handoffs are checked before anything is created', async () => {
  const refused = [
    [{ maximumBytes: 1.5 }, TypeError], [{ maximumBytes: '1' }, TypeError], [{ maximumBytes: 2 ** 32 + 65536 }, RangeError],
    [{ maximumBytes: 65536 }, RangeError], [{ maxBytes: -1 }, RangeError], [{ gc: true }, TypeError],
    [{ tiers: {} }, TypeError], [{ memory64: true }, TypeError],
    [{ memory: new WebAssembly.Memory({ initial: 1 }) }, TypeError],
    [{ module: await WebAssembly.compile(await readFile(new URL('../../js/walloc.wasm', import.meta.url))) }, TypeError],
  ];
  for (const [options, kind] of refused) {
    const [name] = Object.keys(options);
    await assert.rejects(WallocThreads.instantiate(options), (e) => e instanceof kind && e.message.includes(name), name);
  }
  const heap = await WallocThreads.instantiate({ maximumBytes: 4 * MIB, tiers: false });
  const handoff = heap.handoff();
  const bad = [
    [null, TypeError], [{ ...handoff, module: 'walloc-threads.wasm' }, TypeError],
    [{ ...handoff, memory: new WebAssembly.Memory({ initial: 3 }) }, TypeError], [{ ...handoff, area: -16 }, RangeError],
    [{ ...handoff, area: 0 }, RangeError], [{ ...handoff, area: handoff.area + 4 }, RangeError],
    [{ ...handoff, area: 4 * MIB }, RangeError], [{ ...handoff, area: 2 ** 32 }, RangeError],
  ];
  for (const [given, kind] of bad) await assert.rejects(WallocThreads.join(given), kind, String(given?.area));
  await assert.rejects(WallocThreads.join({ ...handoff, area: handoff.area + 16 }), /was joined already/);
  const ring = new Ring(new SharedArrayBuffer(ringBytes(2)));
  assert.ok(ring.push(1, 2, 3) && ring.push(4, 5, 6) && !ring.push(7, 8, 9), 'a full ring refuses');
  assert.deepEqual([ring.shift(), ring.shift(), ring.shift()], [[1, 2, 3], [4, 5, 6], null]);
});
