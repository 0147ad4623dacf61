// Malformed numbers at the JavaScript boundary. Wasm converts a JS number to an i32 with
// ToInt32/ToUint32 (NaN -> 0, 2^32 + 8 -> 8, -1 -> 0xffffffff, 1.5 -> 1), so every numeric
// argument must be checked before the call: one that wrapped would act on some other size,
// pointer or mark while the wrapper believes the original one, and its "checked" views and
// copies would then reach blocks it no longer owns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Walloc, TIER } from '../../js/walloc.mjs';

const MIB = 1024 * 1024;
const WASM_PAGE_BYTES = 65536;

// The malformed values of the attack: each is rejected, or (as a size) is too large to be had.
const BAD = [NaN, Infinity, -Infinity, -1, 1.5, 2 ** 32, 2 ** 32 + 8, 2 ** 53, '8', null, undefined, 8n, {}];
const TOO_LARGE = new Set([2 ** 32, 2 ** 32 + 8, 2 ** 53]);
const show = (value) => (typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? `'${value}'` : String(value));

// A walloc validation error: TypeError or RangeError, with walloc's own message (a native error
// from destructuring or from a BigInt reaching wasm would not say "walloc:").
function rejected(error) {
  return (error instanceof TypeError || error instanceof RangeError) && error.message.startsWith('walloc: ');
}

// A heap with malloc blocks of each size class and a block in each tier, every one filled with
// its own pattern, and a mark in ENTITY with a block after it (which a wrongly accepted release
// would recycle).
async function patterned(options = {}) {
  const heap = await Walloc.instantiate(options);
  const blocks = [
    [heap.malloc(64), 64], [heap.malloc(4000), 4000], [heap.malloc(300000), 300000],
    [heap.tierAlloc(TIER.RENDER, 256), 256], [heap.tierAlloc(TIER.SCENE, 1000), 1000],
    [heap.tierAlloc(TIER.ENTITY, 48), 48],
  ];
  const mark = heap.tierMark(TIER.ENTITY);
  blocks.push([heap.tierAlloc(TIER.ENTITY, 80), 80]);
  blocks.forEach(([ptr, size], i) => heap.copyIn(ptr, Uint8Array.from({ length: size }, (_, j) => (j * 31 + i * 17 + 1) & 255)));
  const snapshot = () => ({
    contents: blocks.map(([ptr, size]) => heap.copyOut(ptr, size)),
    counts: (({ liveBytes, allocCount, freeCount, tiers }) => ({ liveBytes, allocCount, freeCount, tiers }))(heap.stats()),
  });
  const before = snapshot();
  // After a bad call: the heap walks clean, no block changed, no counter moved.
  const unchanged = (what) => {
    heap.check();
    const now = snapshot();
    now.contents.forEach((bytes, i) => assert.deepEqual(bytes, before.contents[i], `${what}: block ${i} changed`));
    assert.deepEqual(now.counts, before.counts, `${what}: counters changed`);
  };
  return { heap, blocks, mark, ptr: blocks[0][0], big: blocks[1][0], unchanged };
}

test('tierRelease refuses malformed marks with TypeError or RangeError and recycles nothing', async () => {
  const { heap, mark, blocks, unchanged } = await patterned();
  const expected = (value) => (typeof value === 'number' && Number.isInteger(value) ? RangeError : TypeError);
  for (const field of ['offset', 'generation']) {
    for (const value of [NaN, null, undefined, 1.5, '8', -1, -8, 2 ** 32, 2 ** 32 + mark[field], 2 ** 53]) {
      const forged = { ...mark, [field]: value };
      assert.throws(() => heap.tierRelease(forged), (e) => e instanceof expected(value) && e.message.includes(field),
        `${field} ${show(value)}`);
      unchanged(`tierRelease with ${field} ${show(value)}`);
    }
    const { [field]: _, ...missing } = mark;
    assert.throws(() => heap.tierRelease(missing), TypeError, `missing ${field}`);
    unchanged(`tierRelease without ${field}`);
  }
  // The attack itself: had the release happened, the next block would land on the kept one.
  const [kept, size] = blocks.at(-1);
  const fresh = heap.tierAlloc(TIER.ENTITY, 80);
  assert.ok(fresh >= kept + size, 'the tier still holds the blocks after the mark');
  heap.tierRelease(mark);
  assert.throws(() => heap.view(kept, 1), 'a real release still recycles');
});

test('tier layouts: share 0..100, alignment a power of two up to 2^31, reserveBytes 32 bits', async () => {
  const layout = (tier) => ({ tiers: { reserveBytes: MIB, layout: [{ name: 'a', share: 50, ...tier }] } });
  const refused = (Class, field) => (e) => e instanceof Class && e.message.includes(field);
  await assert.rejects(Walloc.instantiate(layout({ alignment: 2 ** 32 + 8 })), refused(RangeError, 'alignment'));
  await assert.rejects(Walloc.instantiate(layout({ alignment: 2 ** 33 })), refused(RangeError, 'alignment'));
  await assert.rejects(Walloc.instantiate(layout({ alignment: 48 })), refused(RangeError, 'alignment'));
  await assert.rejects(Walloc.instantiate(layout({ alignment: 0 })), refused(RangeError, 'alignment'));
  await assert.rejects(Walloc.instantiate(layout({ alignment: 8.5 })), refused(TypeError, 'alignment'));
  await assert.rejects(Walloc.instantiate(layout({ share: 2 ** 32 + 50 })), refused(RangeError, 'share'));
  await assert.rejects(Walloc.instantiate(layout({ share: 101 })), refused(RangeError, 'share'));
  await assert.rejects(Walloc.instantiate(layout({ share: NaN })), refused(TypeError, 'share'));
  await assert.rejects(Walloc.instantiate({ tiers: { reserveBytes: 2 ** 32 } }), refused(RangeError, 'reserveBytes'));
  await assert.rejects(Walloc.instantiate({ tiers: { reserveBytes: 2 ** 32 + MIB } }), refused(RangeError, 'reserveBytes'));
  await assert.rejects(Walloc.instantiate({ tiers: 5 }), TypeError);
  await assert.rejects(Walloc.instantiate({ tiers: { layout: [null] } }), refused(TypeError, 'tiers.layout[0]'));
  const heap = await Walloc.instantiate(layout({ share: 100, alignment: 4096 }));
  assert.equal(heap.tierAlloc(0, 3) % 4096, 0, 'the largest share and a page alignment are fine');
});

test('stats() reports a 4 GiB memory exactly: memoryBytes 2^32 and 65536 pages', async () => {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
  const heap = await Walloc.instantiate({ memory, tiers: false });
  const ptr = heap.malloc(100);
  heap.fill(ptr, 0x5c, 100);
  const { pages } = heap.stats();
  assert.ok(Number.isInteger(pages));
  assert.equal(heap.stats().memoryBytes, pages * WASM_PAGE_BYTES);
  // Untouched pages cost no memory: the host grows the memory to all of wasm32's 4 GiB.
  memory.grow(65536 - memory.buffer.byteLength / WASM_PAGE_BYTES);
  const stats = heap.stats();
  assert.equal(stats.pages, 65536);
  assert.equal(stats.memoryBytes, 2 ** 32);
  heap.check();
  assert.ok(heap.view(ptr, 100).every((b) => b === 0x5c));
});

test('setLimit says and takes a cap of 4 GiB exactly', async () => {
  const heap = await Walloc.instantiate({ tiers: false });
  assert.equal(heap.setLimit(2 ** 32), 2 ** 32, 'a new heap is capped only by wasm32 itself');
  assert.equal(heap.setLimit(2 ** 53), 2 ** 32, 'a cap of 2^32 is all 65536 pages, not 65535');
  assert.equal(heap.setLimit(8 * MIB + 100), 2 ** 32, 'a cap above 4 GiB is 4 GiB');
  assert.equal(heap.setLimit(2 ** 32), 8 * MIB, 'caps round down to 64 KiB');
});

test('view refuses a constructor whose BYTES_PER_ELEMENT would defeat the range check', async () => {
  const heap = await Walloc.instantiate({ tiers: false });
  const ptr = heap.malloc(64);
  const usable = heap.usableSize(ptr);
  class Sizeless extends Uint32Array { static BYTES_PER_ELEMENT = NaN; }
  class Halved extends Uint32Array { static BYTES_PER_ELEMENT = 0.5; }
  class Understated extends Uint32Array { static BYTES_PER_ELEMENT = 1; }
  assert.throws(() => heap.view(ptr, usable, Sizeless), TypeError);
  assert.throws(() => heap.view(ptr, usable, Halved), TypeError);
  assert.throws(() => heap.view(ptr, usable, Understated), RangeError, 'a view larger than the checked range');
  assert.equal(heap.view(ptr, usable / 4, Understated).byteLength, usable, 'it may still view what fits');
  class Plain extends Float64Array {}
  assert.ok(heap.view(ptr, 2, Plain) instanceof Plain, 'honest subclasses work');
});

// Every numeric parameter of every method, fed each malformed value. `optional` parameters have
// a default, so undefined is valid for them; `sized` ones take 2^32 and beyond as a request
// that cannot be met (RangeError here; 0 with throwOnOOM false, checked below).
const CALLS = [
  ['malloc(size)', (h, c, v) => h.malloc(v), { sized: true }],
  ['calloc(count, size)', (h, c, v) => h.calloc(v, 8), { sized: true }],
  ['calloc(count, size)', (h, c, v) => h.calloc(8, v), { sized: true }],
  ['realloc(ptr, size)', (h, c, v) => h.realloc(v, 8)],
  ['realloc(ptr, size)', (h, c, v) => h.realloc(c.ptr, v), { sized: true }],
  ['free(ptr)', (h, c, v) => h.free(v)],
  ['usableSize(ptr)', (h, c, v) => h.usableSize(v)],
  ['setLimit(bytes)', (h, c, v) => h.setLimit(v), { cap: true }],
  ['view(ptr)', (h, c, v) => h.view(v, 8)],
  ['view(length)', (h, c, v) => h.view(c.ptr, v)],
  ['view(offset)', (h, c, v) => h.view(c.ptr, 8, Uint8Array, v), { optional: true }],
  ['copyIn(ptr)', (h, c, v) => h.copyIn(v, new Uint8Array(8).fill(0xff))],
  ['copyIn(offset)', (h, c, v) => h.copyIn(c.ptr, new Uint8Array(8).fill(0xff), v), { optional: true }],
  ['copyOut(ptr)', (h, c, v) => h.copyOut(v, 8)],
  ['copyOut(length)', (h, c, v) => h.copyOut(c.ptr, v)],
  ['copyOut(offset)', (h, c, v) => h.copyOut(c.ptr, 8, v), { optional: true }],
  ['fill(ptr)', (h, c, v) => h.fill(v, 0xff, 8)],
  ['fill(byte)', (h, c, v) => h.fill(c.ptr, v, 8)],
  ['fill(n)', (h, c, v) => h.fill(c.ptr, 0xff, v)],
  ['fill(offset)', (h, c, v) => h.fill(c.ptr, 0xff, 8, v), { optional: true }],
  ['copy(dst)', (h, c, v) => h.copy(v, c.big, 8)],
  ['copy(src)', (h, c, v) => h.copy(c.ptr, v, 8)],
  ['copy(n)', (h, c, v) => h.copy(c.ptr, c.big, v)],
  ['copy(dstOffset)', (h, c, v) => h.copy(c.ptr, c.big, 8, v), { optional: true }],
  ['copy(srcOffset)', (h, c, v) => h.copy(c.ptr, c.big, 8, 0, v), { optional: true }],
  ['tierAlloc(tier)', (h, c, v) => h.tierAlloc(v, 8)],
  ['tierAlloc(size)', (h, c, v) => h.tierAlloc(TIER.SCENE, v), { sized: true }],
  ['tierReset(tier)', (h, c, v) => h.tierReset(v)],
  ['tierCompact(tier)', (h, c, v) => h.tierCompact(v, 0)],
  ['tierCompact(keep)', (h, c, v) => h.tierCompact(TIER.ENTITY, v)],
  ['tierMark(tier)', (h, c, v) => h.tierMark(v)],
  ['tierRelease(mark)', (h, c, v) => h.tierRelease(v)],
  ['tierRelease(mark.tier)', (h, c, v) => h.tierRelease({ ...c.mark, tier: v })],
  ['tierRelease(mark.offset)', (h, c, v) => h.tierRelease({ ...c.mark, offset: v })],
  ['tierRelease(mark.generation)', (h, c, v) => h.tierRelease({ ...c.mark, generation: v })],
];

test('every numeric parameter refuses malformed values and leaves the heap as it was', async () => {
  const context = await patterned();
  const { heap, unchanged } = context;
  for (const [name, call, { optional, sized, cap } = {}] of CALLS) {
    for (const value of BAD) {
      if (value === undefined && optional) continue;
      const what = `${name} with ${show(value)}`;
      if (cap && TOO_LARGE.has(value)) {
        // A cap past 4 GiB is no cap below wasm32's own: it must not wrap to a cap of 8 bytes.
        heap.setLimit(value);
        assert.equal(heap.setLimit(2 ** 32), 2 ** 32, what);
      } else {
        assert.throws(() => call(heap, context, value), rejected, what);
      }
      unchanged(what);
    }
  }
});

test('sizes past 32 bits are out-of-memory results: 0 with throwOnOOM false', async () => {
  const context = await patterned({ throwOnOOM: false });
  const { heap, unchanged } = context;
  for (const [name, call, { sized } = {}] of CALLS) {
    if (!sized) continue;
    for (const value of TOO_LARGE) {
      assert.equal(call(heap, context, value), 0, `${name} with ${show(value)}`);
      unchanged(`${name} with ${show(value)}`);
    }
  }
});

test('instantiate refuses malformed maxBytes, reserveBytes, share, alignment and gc.roots', async () => {
  const options = [
    ['maxBytes', (v) => ({ maxBytes: v }), { optional: true, cap: true }],
    ['tiers.reserveBytes', (v) => ({ tiers: { reserveBytes: v } }), { optional: true }],
    ['share', (v) => ({ tiers: { layout: [{ name: 'a', share: v }] } })],
    ['alignment', (v) => ({ tiers: { layout: [{ name: 'a', share: 10, alignment: v }] } }), { optional: true }],
    ['gc.roots', (v) => ({ gc: { roots: v } }), { optional: true }],
  ];
  for (const [name, make, { optional, cap } = {}] of options) {
    for (const value of BAD) {
      if (value === undefined && optional) continue;
      const what = `instantiate ${name} ${show(value)}`;
      if (cap && TOO_LARGE.has(value)) {
        const heap = await Walloc.instantiate(make(value));
        assert.equal(heap.setLimit(2 ** 32), 2 ** 32, `${what} caps at 4 GiB`);
        continue;
      }
      await assert.rejects(Walloc.instantiate(make(value)), (e) => rejected(e) && e.message.includes(name), what);
    }
  }
});

test('instantiate refuses a gc option that is not a boolean or { roots } with 1 to 2^30 - 1 slots', async () => {
  for (const gc of [1, 'yes', null, 8n]) {
    await assert.rejects(Walloc.instantiate({ gc }), (e) => e instanceof TypeError && /walloc: gc must be/.test(e.message), show(gc));
  }
  for (const roots of [0, 2 ** 30]) {
    await assert.rejects(Walloc.instantiate({ gc: { roots } }),
      (e) => e instanceof RangeError && e.message.includes('gc.roots'), show(roots));
  }
  const heap = await Walloc.instantiate({ gc: { roots: 1 }, tiers: false });
  assert.equal(heap.gcStats().roots, 1);
});

// The collector's methods, fed each malformed value on a heap whose rooted object must keep its
// contents, and whose collector must not allocate or collect on a refused call.
const GC_CALLS = [
  ['gcAlloc(size)', (h, c, v) => h.gcAlloc(v), { sized: true }],
  ['gcAlloc(options)', (h, c, v) => h.gcAlloc(8, v), { optional: true, options: true }],
  ['gcSetRoot(slot)', (h, c, v) => h.gcSetRoot(v, c.ptr)],
  ['gcSetRoot(ptr)', (h, c, v) => h.gcSetRoot(1, v)],
  ['gcSize(ptr)', (h, c, v) => h.gcSize(v)],
];
const BAD_OPTIONS = [null, 1, 'atomic', 8n, { atomic: 1 }, { atomic: 'true' }, { atomic: null }];

test('the collector\'s parameters refuse malformed values and leave it as it was', async () => {
  const heap = await Walloc.instantiate({ gc: { roots: 4 }, tiers: false });
  const ptr = heap.gcAlloc(64);
  heap.gcSetRoot(0, ptr);
  heap.copyIn(ptr, Uint8Array.from({ length: 64 }, (_, i) => i * 7 + 3));
  const snapshot = () => ({ contents: heap.copyOut(ptr, 64), gc: heap.gcStats(), roots: heap.gcSetRoot(0, ptr) });
  const before = snapshot();
  for (const [name, call, { optional, options } = {}] of GC_CALLS) {
    for (const value of options ? BAD_OPTIONS : BAD) {
      if (value === undefined && optional) continue;
      const what = `${name} with ${show(value)}`;
      assert.throws(() => call(heap, { ptr }, value), rejected, what);
      assert.deepEqual(snapshot(), before, `${what}: the collector changed`);
    }
  }
  heap.check();
});
