// The garbage collector of the JS package (Walloc.instantiate({ gc }), walloc-gc.wasm): objects
// live while a root slot reaches them and are collected once it is cleared, scanned objects keep
// what they point to and atomic ones do not, the memory map shows the collector's spans, views
// take live GC objects, and misuse throws. Pointers the tests hold are numbers the collector
// cannot see, so whether an object lives is asked of gcSize, never inferred from a test's
// variables; nothing is allocated between a collection and the questions about it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Walloc, SLICE } from '../../js/walloc.mjs';

const MIB = 1024 * 1024;
const SLICE_BYTES = 4096;
const withGc = (options = {}) => Walloc.instantiate({ gc: { roots: 8 }, tiers: false, ...options });
const word = (heap, ptr, index) => heap.view(ptr, index + 1, Uint32Array)[index];
const setWord = (heap, ptr, index, value) => { heap.view(ptr, index + 1, Uint32Array)[index] = value; };

// A list of `length` scanned nodes [next, payload] in root slot `slot`, newest first, each with
// an atomic payload of 48 bytes filled with its index. Every object is reachable from the slot
// before the next allocation.
function rootedList(heap, slot, length) {
  const nodes = [];
  for (let i = 0; i < length; i++) {
    const node = heap.gcAlloc(8);
    setWord(heap, node, 0, nodes.length ? nodes[nodes.length - 1].node : 0);
    heap.gcSetRoot(slot, node);
    const payload = heap.gcAlloc(48, { atomic: true });
    heap.fill(payload, i & 0xff, 48);
    setWord(heap, node, 1, payload);
    nodes.push({ node, payload, i });
  }
  return nodes;
}

const intact = (heap, { node, payload, i }) =>
  heap.gcSize(node) > 0 && word(heap, node, 1) === payload && heap.view(payload, 48).every((b) => b === (i & 0xff));

test('objects live while a root slot reaches them, through garbage and collections, and go when it is cleared', async () => {
  const heap = await withGc();
  const list = rootedList(heap, 0, 2000);
  const before = heap.gcStats().collections;
  for (let i = 0; i < 20000; i++) heap.gcAlloc(256);
  const churned = heap.gcStats();
  assert.ok(churned.collections > before, `5 MiB of garbage ran collections (${churned.collections})`);
  assert.ok(churned.heapBytes < 2 * MIB, `the heap stayed bounded: ${churned.heapBytes} bytes of GC spans`);
  assert.deepEqual(list.filter((n) => !intact(heap, n)), [], 'every rooted node and payload survived');

  heap.gcCollect();
  const rooted = heap.gcStats();
  assert.equal(heap.gcSetRoot(0, 0), list.at(-1).node, 'gcSetRoot returns what the slot held');
  heap.gcCollect();
  const cleared = heap.gcStats();
  assert.deepEqual(list.filter(({ node, payload }) => heap.gcSize(node) || heap.gcSize(payload)), [], 'all collected');
  assert.equal(cleared.collections, rooted.collections + 1);
  assert.ok(rooted.heapBytes - cleared.heapBytes >= 2000 * (16 + 48),
    `the list's spans went back: ${rooted.heapBytes} -> ${cleared.heapBytes} bytes`);
  assert.equal(heap.stats().gcBytes, cleared.heapBytes, 'stats().gcBytes is the collector heap');
  heap.check();
});

test('scanned objects keep what their words point into; atomic objects keep nothing', async () => {
  const heap = await withGc();
  const scanned = heap.gcAlloc(16);
  heap.gcSetRoot(0, scanned);
  const atomic = heap.gcAlloc(16, { atomic: true });
  heap.gcSetRoot(1, atomic);
  const kept = heap.gcAlloc(32);
  setWord(heap, scanned, 0, kept);
  const inner = heap.gcAlloc(64, { atomic: true });
  setWord(heap, scanned, 1, inner + 40);
  const lost = heap.gcAlloc(32);
  setWord(heap, atomic, 0, lost);
  heap.gcCollect();
  assert.ok(heap.gcSize(kept) >= 32, 'pointed to by a scanned object');
  assert.ok(heap.gcSize(inner) >= 64, 'an interior pointer keeps the object');
  assert.equal(heap.gcSize(lost), 0, 'an atomic object is never scanned');
  heap.gcSetRoot(1, 0);
  assert.equal(heap.gcSetRoot(0, kept), scanned, 'slots can be moved to another object');
  heap.gcCollect();
  assert.deepEqual([heap.gcSize(kept) > 0, heap.gcSize(scanned), heap.gcSize(inner), heap.gcSize(atomic)], [true, 0, 0, 0]);
});

test('memoryMap shows SLICE.GC on the slices of GC spans and nowhere else', async () => {
  const heap = await Walloc.instantiate({ gc: { roots: 4 } });
  const small = heap.gcAlloc(40);
  heap.gcSetRoot(0, small);
  const large = heap.gcAlloc(100000, { atomic: true });
  heap.gcSetRoot(1, large);
  const blocks = [heap.malloc(40), heap.malloc(5000), heap.malloc(300000)];
  const tier = heap.tierAlloc(Walloc.TIER.SCENE, 1000);
  const gcSlices = (map) => map.reduce((count, code) => count + (code === SLICE.GC), 0);

  const map = heap.memoryMap();
  const { heapBytes } = heap.gcStats();
  assert.equal(gcSlices(map) * SLICE_BYTES, heapBytes, 'every slice of every GC span, and no other');
  assert.equal(heap.stats().gcBytes, heapBytes);
  assert.equal(map[small >>> 12], SLICE.GC);
  for (let at = large; at < large + 100000; at += SLICE_BYTES) assert.equal(map[at >>> 12], SLICE.GC, `large object at ${at}`);
  for (const ptr of blocks) assert.ok([SLICE.SMALL, SLICE.LARGE].includes(map[ptr >>> 12]), `malloc block at ${ptr}`);
  assert.equal(map[tier >>> 12], SLICE.TIER);

  heap.gcSetRoot(1, 0);
  heap.gcCollect();
  const after = heap.memoryMap();
  assert.notEqual(after[large >>> 12], SLICE.GC, 'a collected large object gives its slices back');
  assert.equal(gcSlices(after) * SLICE_BYTES, heap.gcStats().heapBytes);

  const plain = await Walloc.instantiate();
  plain.malloc(100000);
  assert.equal(gcSlices(plain.memoryMap()), 0, 'a heap without the collector has no GC slices');
  assert.equal(plain.stats().gcBytes, 0);
});

test('views and copies take live GC objects; free, realloc and collected objects are refused', async () => {
  const heap = await withGc();
  const ptr = heap.gcAlloc(100);
  heap.gcSetRoot(0, ptr);
  const size = heap.gcSize(ptr);
  assert.ok(size >= 100);
  assert.ok(heap.view(ptr, size).every((b) => b === 0), 'GC objects are zeroed');
  heap.copyIn(ptr, new Uint8Array([1, 2, 3]), 10);
  assert.deepEqual([...heap.copyOut(ptr, 3, 10)], [1, 2, 3]);
  assert.throws(() => heap.view(ptr, size + 1), RangeError, 'checked against the object size');
  assert.throws(() => heap.free(ptr), /walloc: free of GC object 0x[0-9a-f]+ \(the collector frees it/);
  assert.throws(() => heap.realloc(ptr, 200), /walloc: realloc of GC object/);
  const garbage = heap.gcAlloc(100);
  heap.gcCollect();
  assert.equal(heap.gcSize(garbage), 0);
  assert.throws(() => heap.view(garbage, 1), Error, 'a collected object has no view');
  assert.throws(() => heap.gcSetRoot(1, garbage), (e) => e instanceof RangeError && /not the start of a live GC object/.test(e.message));
  assert.throws(() => heap.gcSetRoot(1, ptr + 4), RangeError, 'an interior pointer is not an object start');
  assert.throws(() => heap.gcSetRoot(1, heap.malloc(16)), RangeError, 'a malloc block is not a GC object');
  assert.throws(() => heap.gcSetRoot(8, ptr), (e) => e instanceof RangeError && /no root slot 8 \(the heap has 8\)/.test(e.message));
  heap.check();
});

test('exhaustion: RangeError or 0 after a collection, and the heap goes on', async () => {
  const heap = await withGc({ maxBytes: 4 * MIB });
  assert.throws(() => heap.gcAlloc(8 * MIB), (e) => e instanceof RangeError && /out of memory \(gcAlloc of 8388608 bytes/.test(e.message));
  assert.throws(() => heap.gcAlloc(2 ** 32), RangeError);
  const quiet = await withGc({ maxBytes: 4 * MIB, throwOnOOM: false });
  assert.equal(quiet.gcAlloc(8 * MIB), 0);
  const ptr = quiet.gcAlloc(64);
  assert.ok(ptr > 0 && quiet.gcSize(ptr) >= 64);
  quiet.check();
});

test('the collector is opt-in: walloc.wasm has none, and gc needs walloc-gc.wasm', async () => {
  const plainModule = await WebAssembly.compile(await readFile(new URL('../../js/walloc.wasm', import.meta.url)));
  const gcModule = await WebAssembly.compile(await readFile(new URL('../../js/walloc-gc.wasm', import.meta.url)));
  const names = (module) => WebAssembly.Module.exports(module).map(({ name }) => name);
  assert.ok(!names(plainModule).some((name) => /^(GC_|wjs_gc_)/.test(name)), 'walloc.wasm exports no collector');
  assert.ok(names(gcModule).includes('wjs_gc_start'));
  await assert.rejects(Walloc.instantiate({ gc: true, module: plainModule }),
    (e) => e instanceof TypeError && /walloc-gc\.wasm/.test(e.message));
  const heap = await Walloc.instantiate({ gc: true, module: gcModule, tiers: false });
  assert.equal(heap.gcStats().roots, 1024, 'gc: true gives 1024 root slots');
  const plain = await Walloc.instantiate({ tiers: false });
  const calls = [() => plain.gcAlloc(8), () => plain.gcSetRoot(0, 0), () => plain.gcCollect(), () => plain.gcSize(8),
    () => plain.gcStats()];
  for (const call of calls) assert.throws(call, /needs the garbage collector: instantiate with \{ gc: true \}/);
});
