// The JS package on the wasm64 build (walloc64.wasm): pointers and sizes stay plain numbers,
// blocks, views, copies, tiers and the cap work past 4 GiB, and misuse there is refused as on
// wasm32. Run by node 24 (`make test-wasm64`): node 20 cannot grow a 64-bit memory past 4 GiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Walloc } from '../../js/walloc.mjs';

const GIB = 2 ** 30;
const FOUR_GIB = 2 ** 32;

test('a wasm64 heap takes and returns numbers, and its blocks work as on wasm32', async () => {
  const heap = await Walloc.instantiate({ memory64: true });
  const p = heap.malloc(100);
  assert.equal(typeof p, 'number');
  assert.ok(heap.usableSize(p) >= 100);
  heap.copyIn(p, new Uint8Array([1, 2, 3]), 10);
  assert.deepEqual([...heap.copyOut(p, 3, 10)], [1, 2, 3]);
  const q = heap.realloc(p, 100000);
  assert.deepEqual([...heap.copyOut(q, 3, 10)], [1, 2, 3]);
  heap.free(q);
  assert.throws(() => heap.free(q), { message: `walloc: double free of 0x${q.toString(16)}` });
  heap.check();
});

test('a block of 5 GiB: views, copies, fill and copy past 4 GiB, checked against its end', async () => {
  const heap = await Walloc.instantiate({ memory64: true });
  const size = 5 * GIB;
  const big = heap.malloc(size);
  assert.ok(heap.usableSize(big) >= size);
  const far = 4.5 * GIB; // an offset whose address is past 4 GiB
  assert.ok(big + far > FOUR_GIB);
  heap.fill(big, 0x5a, 1 << 20, far);
  const words = heap.view(big, 4, Uint32Array, far + 64);
  assert.deepEqual([...words], [0x5a5a5a5a, 0x5a5a5a5a, 0x5a5a5a5a, 0x5a5a5a5a]);
  heap.copyIn(big, new Uint8Array([9, 8, 7]), size - 3);
  assert.deepEqual([...heap.copyOut(big, 3, size - 3)], [9, 8, 7]);
  heap.copy(big, big, 3, far, size - 3);
  assert.deepEqual([...heap.copyOut(big, 4, far)], [9, 8, 7, 0x5a]);
  assert.throws(() => heap.copyIn(big, new Uint8Array(4), size - 3), RangeError);
  assert.deepEqual([...heap.copyOut(big, 3, size - 3)], [9, 8, 7], 'a refused copy writes nothing');
  assert.throws(() => heap.view(big, 2, Uint8Array, heap.usableSize(big) - 1), RangeError);
  const stats = heap.stats();
  assert.ok(stats.memoryBytes > size && stats.liveBytes >= size, JSON.stringify(stats));
  assert.equal(stats.pages, stats.memoryBytes / 65536);
  heap.free(big);
  assert.ok(heap.stats().liveBytes < GIB);
  heap.check();
});

test('small blocks above 4 GiB: copies, and a double free named by its 64-bit address', async () => {
  const heap = await Walloc.instantiate({ memory64: true });
  heap.malloc(FOUR_GIB + GIB); // memory now ends past 4 GiB: new spans come from there
  let p = 0;
  for (let i = 0; i < 100000 && p < FOUR_GIB; i++) p = heap.malloc(48);
  assert.ok(p > FOUR_GIB, `0x${p.toString(16)}`);
  heap.copyIn(p, new Uint8Array([4, 5, 6]));
  assert.deepEqual([...heap.copyOut(p, 3)], [4, 5, 6]);
  heap.free(p);
  assert.throws(() => heap.free(p), { message: `walloc: double free of 0x${p.toString(16)}` });
  assert.throws(() => heap.usableSize(p + 8), /^Error: walloc: /);
  heap.check();
});

test('setLimit above 4 GiB caps growth to the page and gives the old cap back', async () => {
  const heap = await Walloc.instantiate({ memory64: true, throwOnOOM: false });
  const cap = 6 * GIB + 5 * 65536;
  assert.equal(heap.setLimit(cap), 2 ** 40, 'the default cap is walloc\'s ceiling of 1 TiB');
  const blocks = [];
  for (let p; (p = heap.malloc(512 * 2 ** 20)) !== 0;) blocks.push(p);
  assert.ok(blocks.length >= 10 && heap.stats().memoryBytes <= cap, `${blocks.length} blocks`);
  assert.equal(heap.setLimit(2 ** 40), cap);
  assert.notEqual(heap.malloc(GIB), 0);
  heap.check();
});

test('tiers past 4 GiB: an allocation, a mark above 2^32 and its release', async () => {
  const heap = await Walloc.instantiate({ memory64: true, tiers: { reserveBytes: 64 << 20 } });
  const first = heap.tierAlloc(Walloc.TIER.SCENE, FOUR_GIB + 4096);
  const mark = heap.tierMark(Walloc.TIER.SCENE);
  assert.ok(mark.offset > FOUR_GIB, JSON.stringify(mark));
  const later = heap.tierAlloc(Walloc.TIER.SCENE, 1000);
  heap.copyIn(later, new Uint8Array([1]));
  heap.copyIn(first, new Uint8Array([2]), FOUR_GIB);
  heap.tierRelease(mark);
  assert.throws(() => heap.copyIn(later, new Uint8Array([1])), /walloc: invalid malloc_usable_size/, 'a recycled block is no block');
  assert.deepEqual([...heap.copyOut(first, 1, FOUR_GIB)], [2]);
  assert.ok(heap.stats().tiers[Walloc.TIER.SCENE].used > FOUR_GIB);
  heap.check();
});

test('the kind of module is detected, and options that cannot hold are refused', async () => {
  const module = await WebAssembly.compile(await readFile(new URL('../../js/walloc64.wasm', import.meta.url)));
  const detected = await Walloc.instantiate({ module });
  assert.ok(detected.malloc(FOUR_GIB + 1) > 0);
  const memory = new WebAssembly.Memory({ initial: 3n, address: 'i64' });
  const given = await Walloc.instantiate({ memory, memory64: true });
  assert.equal(given.memory, memory);
  assert.ok(given.malloc(16) > 0);
  await assert.rejects(Walloc.instantiate({ memory64: true, gc: true }), TypeError);
  await assert.rejects(Walloc.instantiate({ memory64: 'yes' }), TypeError);
  const heap = await Walloc.instantiate({ memory64: true, throwOnOOM: false });
  assert.throws(() => heap.free(2 ** 53), RangeError);
  assert.throws(() => heap.free(1.5), TypeError);
  assert.equal(heap.malloc(2 ** 53), 0, 'a size past 2^53 - 1 is a request that cannot be met');
  assert.equal(heap.malloc(2 ** 40), 0, 'past walloc\'s ceiling');
});
