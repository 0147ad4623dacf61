// Views, copies and bulk helpers: every range is checked against the block's usable size and a
// failed check writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Walloc } from '../../js/walloc.mjs';

const heap = await Walloc.instantiate({ tiers: false });

test('view gives typed arrays over the block, on the current buffer', () => {
  const ptr = heap.malloc(64);
  const floats = heap.view(ptr, 16, Float32Array);
  assert.ok(floats instanceof Float32Array);
  assert.equal(floats.byteOffset, ptr);
  assert.equal(floats.buffer, heap.buffer);
  floats[3] = 1.5;
  assert.equal(heap.view(ptr, 64)[15], 0x3f, 'high byte of 1.5f');
  assert.equal(heap.view(ptr, 0).length, 0);
  assert.ok(heap.view(ptr, 8, BigInt64Array) instanceof BigInt64Array);
  heap.free(ptr);
});

test('view past the usable size, of freed or foreign blocks, or without a constructor throws', () => {
  const ptr = heap.malloc(24);
  const usable = heap.usableSize(ptr);
  assert.throws(() => heap.view(ptr, usable + 1), (e) => e instanceof RangeError && /exceeds the \d+ usable bytes/.test(e.message));
  assert.throws(() => heap.view(ptr, usable / 4 + 1, Uint32Array), RangeError);
  assert.throws(() => heap.view(0, 1), /null pointer/);
  assert.throws(() => heap.view(ptr + 8, 1), /Error: walloc: invalid malloc_usable_size/);
  assert.throws(() => heap.view(ptr, 4, Array), TypeError);
  assert.throws(() => heap.view(ptr, -1), RangeError);
  heap.free(ptr);
  assert.throws(() => heap.view(ptr, 1), /Error: walloc: malloc_usable_size after free/);
});

test('copyIn accepts buffers and views; copyOut returns a copy', () => {
  const ptr = heap.malloc(32);
  heap.copyIn(ptr, new Float64Array([1, 2]));
  assert.deepEqual([...heap.view(ptr, 2, Float64Array)], [1, 2]);
  heap.copyIn(ptr, new Uint8Array([9, 8, 7]).buffer);
  const dv = new DataView(new ArrayBuffer(8), 4, 2);
  dv.setUint8(0, 5);
  heap.copyIn(ptr, dv);
  const out = heap.copyOut(ptr, 3);
  assert.deepEqual([...out], [5, 0, 7]);
  assert.notEqual(out.buffer, heap.buffer, 'a copy, not a view');
  out[0] = 99;
  assert.equal(heap.view(ptr, 1)[0], 5);
  assert.throws(() => heap.copyIn(ptr, [1, 2, 3]), TypeError);
  heap.free(ptr);
});

test('copyIn and copyOut beyond the block throw RangeError and write nothing', () => {
  const ptr = heap.malloc(48);
  const usable = heap.usableSize(ptr);
  heap.fill(ptr, 0x11, usable);
  const next = heap.malloc(48);
  heap.fill(next, 0x22, 48);
  assert.throws(() => heap.copyIn(ptr, new Uint8Array(usable + 1).fill(0xff)), RangeError);
  assert.ok(heap.view(ptr, usable).every((b) => b === 0x11), 'nothing written into the block');
  assert.ok(heap.view(next, 48).every((b) => b === 0x22), 'nothing written past it');
  assert.throws(() => heap.copyOut(ptr, usable + 1), RangeError);
  assert.equal(heap.copyOut(ptr, usable).length, usable);
  heap.free(ptr);
  heap.free(next);
});

test('offsets reach into a block: view, copyIn, copyOut, fill and copy start there', () => {
  const ptr = heap.malloc(64);
  heap.fill(ptr, 0, 64);
  heap.copyIn(ptr, new Uint8Array([1, 2, 3]), 10);
  assert.deepEqual([...heap.view(ptr, 14)].slice(9), [0, 1, 2, 3, 0]);
  assert.deepEqual([...heap.copyOut(ptr, 3, 10)], [1, 2, 3]);
  heap.fill(ptr, 0xee, 4, 60);
  assert.deepEqual([...heap.view(ptr, 64)].slice(58), [0, 0, 0xee, 0xee, 0xee, 0xee]);
  const words = heap.view(ptr, 2, Uint32Array, 8);
  assert.equal(words.byteOffset, ptr + 8);
  words[1] = 0x04030201 >>> 0;
  assert.deepEqual([...heap.copyOut(ptr, 4, 12)], [1, 2, 3, 4]);
  heap.copy(ptr, ptr, 4, 0, 12);
  assert.deepEqual([...heap.copyOut(ptr, 4)], [1, 2, 3, 4], 'copy within one block, from an offset');
  heap.free(ptr);
});

test('offsets past the block, unaligned or not integers throw and write nothing', () => {
  const ptr = heap.malloc(40);
  const usable = heap.usableSize(ptr);
  heap.fill(ptr, 0x33, usable);
  const overflow = (e) => e instanceof RangeError && /at offset \d+ exceeds the \d+ usable bytes/.test(e.message);
  assert.throws(() => heap.copyIn(ptr, new Uint8Array(2).fill(0xff), usable - 1), overflow);
  assert.throws(() => heap.fill(ptr, 0xff, 1, usable), overflow);
  assert.throws(() => heap.copy(ptr, ptr, 8, usable - 4), overflow);
  assert.throws(() => heap.copy(ptr, ptr, 8, 0, usable - 4), overflow);
  assert.ok(heap.view(ptr, usable).every((b) => b === 0x33), 'nothing written');
  assert.throws(() => heap.copyOut(ptr, 1, usable), overflow);
  assert.equal(heap.copyOut(ptr, 0, usable).length, 0, 'an empty range at the very end is fine');
  assert.throws(() => heap.view(ptr, 1, Float64Array, 4), (e) => e instanceof RangeError && /not aligned to 8 bytes/.test(e.message));
  assert.throws(() => heap.copyOut(ptr, 1, -1), RangeError);
  assert.throws(() => heap.copyOut(ptr, 1, 1.5), TypeError);
  assert.throws(() => heap.copyIn(ptr, new Uint8Array(1), '2'), TypeError);
  heap.free(ptr);
});

test('fill and copy work within blocks and reject ranges beyond them', () => {
  const a = heap.malloc(1000);
  const b = heap.malloc(2000);
  heap.fill(a, 0x5a, 1000);
  heap.copy(b, a, 1000);
  assert.ok(heap.view(b, 1000).every((x) => x === 0x5a));
  heap.fill(b, 0, heap.usableSize(b));
  assert.throws(() => heap.fill(a, 1, heap.usableSize(a) + 1), RangeError);
  assert.throws(() => heap.fill(a, 256, 1), RangeError);
  assert.throws(() => heap.copy(a, b, heap.usableSize(a) + 1), RangeError, 'destination too small');
  assert.throws(() => heap.copy(b, a, heap.usableSize(a) + 1), RangeError, 'source too small');
  assert.ok(heap.view(b, 1000).every((x) => x === 0), 'failed copy wrote nothing');
  heap.free(a);
  heap.free(b);
});
