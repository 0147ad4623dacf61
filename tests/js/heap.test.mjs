// The malloc family of walloc.mjs: allocation, OOM in both modes, bad pointers, limits,
// shared memory, stats and growth notifications.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Walloc } from '../../js/walloc.mjs';

const MIB = 1024 * 1024;
const plain = (options = {}) => Walloc.instantiate({ tiers: false, ...options });

test('malloc, usableSize and free', async () => {
  const heap = await plain();
  const sizes = [0, 1, 8, 100, 4096, 40000, 3 * MIB];
  const blocks = sizes.map((size) => [heap.malloc(size), size]);
  for (const [ptr, size] of blocks) {
    assert.ok(ptr > 0 && ptr % 8 === 0, `pointer ${ptr}`);
    assert.ok(heap.usableSize(ptr) >= size);
  }
  assert.equal(new Set(blocks.map(([ptr]) => ptr)).size, blocks.length, 'blocks are distinct');
  assert.equal(heap.usableSize(0), 0);
  for (const [ptr] of blocks) heap.free(ptr);
  heap.free(0);
  assert.equal(heap.stats().liveBytes, 0);
  heap.check();
});

test('calloc returns zeroed memory, even over reused blocks', async () => {
  const heap = await plain();
  const dirty = heap.malloc(256);
  heap.fill(dirty, 0xab, 256);
  heap.free(dirty);
  const ptr = heap.calloc(16, 16);
  assert.ok(heap.view(ptr, 256).every((b) => b === 0));
  assert.equal(heap.calloc(0, 8) > 0, true);
});

test('realloc keeps contents and frees the old block when it moves', async () => {
  const heap = await plain();
  const ptr = heap.malloc(32);
  heap.copyIn(ptr, Uint8Array.from({ length: 32 }, (_, i) => i));
  const moved = heap.realloc(ptr, 100000);
  assert.deepEqual([...heap.copyOut(moved, 32)], Array.from({ length: 32 }, (_, i) => i));
  if (moved !== ptr) assert.throws(() => heap.free(ptr), /walloc: double free of 0x/);
  assert.equal(heap.realloc(0, 10) > 0, true, 'realloc(0, n) allocates');
});

test('out of memory throws a RangeError by default and leaves the heap usable', async () => {
  const heap = await plain({ maxBytes: 4 * MIB });
  assert.throws(() => heap.malloc(8 * MIB), (e) => e instanceof RangeError && /^walloc: out of memory \(malloc of 8388608 bytes/.test(e.message));
  assert.throws(() => heap.calloc(2 ** 20, 2 ** 20), RangeError, 'calloc product overflows');
  assert.throws(() => heap.malloc(2 ** 40), RangeError, 'beyond 32 bits');
  const ptr = heap.malloc(1000);
  assert.throws(() => heap.realloc(ptr, 8 * MIB), RangeError);
  assert.ok(heap.usableSize(ptr) >= 1000, 'failed realloc leaves the block');
  heap.free(ptr);
  heap.check();
});

test('throwOnOOM: false returns 0', async () => {
  const heap = await plain({ maxBytes: 4 * MIB, throwOnOOM: false });
  assert.equal(heap.malloc(8 * MIB), 0);
  assert.equal(heap.calloc(4 * MIB, 4), 0);
  const ptr = heap.malloc(64);
  assert.equal(heap.realloc(ptr, 8 * MIB), 0);
  heap.free(ptr);
});

test('double and invalid frees throw walloc\'s message and the heap stays usable', async () => {
  const heap = await plain();
  const ptr = heap.malloc(64);
  const big = heap.malloc(100000);
  heap.free(ptr);
  assert.throws(() => heap.free(ptr), (e) => e.constructor === Error && e.message === `walloc: double free of 0x${ptr.toString(16)}` && e.cause instanceof WebAssembly.RuntimeError);
  assert.throws(() => heap.free(big + 8), /Error: walloc: invalid free of 0x/);
  assert.throws(() => heap.realloc(ptr, 10), /Error: walloc: realloc after free of 0x/);
  assert.throws(() => heap.usableSize(12345), /Error: walloc: invalid malloc_usable_size of 0x3039$/);
  // Many traps in a row: the stack pointer is restored each time, the heap still checks out.
  for (let i = 0; i < 20000; i++) assert.throws(() => heap.free(ptr));
  const again = heap.malloc(64);
  heap.fill(again, 1, 64);
  heap.free(again);
  heap.free(big);
  heap.check();
  assert.equal(heap.stats().liveBytes, 0);
});

test('a bad free before any allocation throws and the heap starts normally', async () => {
  const heap = await plain();
  assert.throws(() => heap.free(0x3039), /Error: walloc: invalid free of 0x3039/);
  assert.throws(() => heap.free(0x30000), /Error: walloc: invalid free of 0x30000/);
  const ptr = heap.malloc(10);
  heap.check();
  heap.free(ptr);
});

test('arguments are validated before reaching wasm', async () => {
  const heap = await plain();
  assert.throws(() => heap.malloc(-1), RangeError);
  assert.throws(() => heap.malloc(1.5), TypeError);
  assert.throws(() => heap.malloc('8'), TypeError);
  assert.throws(() => heap.free(-8), RangeError);
  assert.throws(() => heap.free(2 ** 32), RangeError);
  assert.throws(() => heap.calloc(1, NaN), TypeError);
  assert.throws(() => heap.setLimit(-1), RangeError);
});

test('maxBytes caps linear memory', async () => {
  const heap = await plain({ maxBytes: 8 * MIB });
  const blocks = [];
  assert.throws(() => { for (;;) blocks.push(heap.malloc(MIB)); }, RangeError);
  assert.ok(heap.stats().memoryBytes <= 8 * MIB);
  assert.ok(blocks.length >= 4, `${blocks.length} MiB blocks fit`);
  assert.equal(heap.setLimit(16 * MIB), 8 * MIB, 'setLimit returns the previous cap');
  blocks.push(heap.malloc(MIB));
});

test('stats follow allocations', async () => {
  const heap = await plain();
  const before = heap.stats();
  const ptr = heap.malloc(100000);
  const during = heap.stats();
  assert.equal(during.liveBytes - before.liveBytes, heap.usableSize(ptr));
  assert.equal(during.allocCount, before.allocCount + 1);
  assert.equal(during.pages, during.memoryBytes / 65536);
  assert.equal(during.memoryBytes, heap.buffer.byteLength);
  heap.free(ptr);
  const after = heap.stats();
  assert.equal(after.liveBytes, before.liveBytes);
  assert.equal(after.freeCount, before.freeCount + 1);
  assert.ok(after.peakLiveBytes >= during.liveBytes);
  assert.deepEqual(after.tiers, []);
});

test('onGrow fires once per growth with the new buffer; unsubscribe stops it', async () => {
  const heap = await plain();
  const seen = [];
  const stop = heap.onGrow(({ buffer, bytes }) => seen.push([buffer, bytes]));
  const old = heap.view(heap.malloc(16), 16);
  heap.malloc(8 * MIB);
  assert.equal(seen.length, 1);
  assert.equal(seen[0][0], heap.buffer);
  assert.equal(seen[0][1], heap.buffer.byteLength);
  assert.equal(old.length, 0, 'the old view is detached, not silently stale');
  heap.malloc(16);
  assert.equal(seen.length, 1, 'no growth, no call');
  stop();
  heap.malloc(16 * MIB);
  assert.equal(seen.length, 1);
  assert.throws(() => heap.onGrow(42), TypeError);
});

test('a given WebAssembly.Memory is used and grown to the initial size', async () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 256 });
  const heap = await plain({ memory });
  assert.equal(heap.memory, memory);
  const ptr = heap.malloc(1000);
  new Uint8Array(memory.buffer, ptr, 4).set([1, 2, 3, 4]);
  assert.deepEqual([...heap.copyOut(ptr, 4)], [1, 2, 3, 4]);
  assert.throws(() => heap.malloc(20 * MIB), RangeError, 'the memory\'s maximum bounds the heap');
  await assert.rejects(plain({ memory: new ArrayBuffer(8) }), TypeError);
});

test('heaps are independent', async () => {
  const [a, b] = await Promise.all([plain(), plain()]);
  const pa = a.malloc(64);
  a.fill(pa, 7, 64);
  const pb = b.malloc(64);
  assert.equal(pa, pb, 'same layout, own memory');
  assert.equal(b.view(pb, 1)[0], 0);
});

test('memoryMap marks static data, meta, small, large and free slices', async () => {
  const heap = await plain();
  const small = heap.malloc(64);
  const large = heap.malloc(200000);
  const map = heap.memoryMap();
  assert.equal(map.length, heap.buffer.byteLength / 4096);
  assert.equal(map[0], Walloc.SLICE.STATIC);
  assert.equal(map[small >>> 12], Walloc.SLICE.SMALL);
  assert.equal(map[large >>> 12], Walloc.SLICE.LARGE);
  assert.ok(map.includes(Walloc.SLICE.META));
  heap.free(large);
  assert.equal(heap.memoryMap()[large >>> 12], Walloc.SLICE.FREE);
});

// Pages the host grows itself between walloc's growths belong to the host: memoryMap must not
// offer them as walloc's free memory, and walloc must never hand them out.
test('memoryMap shows pages the host grew as unused, and walloc leaves them alone', async () => {
  const heap = await plain();
  heap.malloc(64);
  const hostFirst = heap.memory.grow(2) * 16;
  new Uint8Array(heap.memory.buffer, hostFirst * 4096, 2 * 65536).fill(0x5a);
  const large = heap.malloc(300000);
  assert.ok(large >= (hostFirst + 32) * 4096, 'walloc grew past the host pages');
  const map = heap.memoryMap();
  for (let slice = hostFirst; slice < hostFirst + 32; slice++) assert.equal(map[slice], Walloc.SLICE.UNUSED, `slice ${slice}`);
  heap.check();
  assert.ok(new Uint8Array(heap.memory.buffer, hostFirst * 4096, 2 * 65536).every((b) => b === 0x5a));
});

test('a compiled module can be passed in and shared by heaps', async () => {
  const { readFile } = await import('node:fs/promises');
  const module = await WebAssembly.compile(await readFile(new URL('../../js/walloc.wasm', import.meta.url)));
  const heap = await plain({ module });
  assert.ok(heap.malloc(8) > 0);
  await assert.rejects(plain({ module: 'http://127.0.0.1:9/walloc.wasm' }));
});

test('a module URL is read from disk (file:) or fetched', async () => {
  const heap = await plain({ module: new URL('../../js/walloc.wasm', import.meta.url) });
  assert.ok(heap.malloc(8) > 0);
  await assert.rejects(plain({ module: new URL('../../js/missing.wasm', import.meta.url) }), /ENOENT/);
});
