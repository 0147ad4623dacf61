// Tier methods of walloc.mjs: alignment, reset, compact, marks, stats, errors, custom layouts,
// and the rule that views of tier blocks are checked like malloc blocks until recycled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Walloc, TIER } from '../../js/walloc.mjs';

const MIB = 1024 * 1024;

test('Walloc.TIER names the default tiers', () => {
  assert.deepEqual(Walloc.TIER, { RENDER: 0, SCENE: 1, ENTITY: 2 });
  assert.equal(TIER, Walloc.TIER);
  assert.ok(Object.isFrozen(Walloc.TIER));
});

test('default layout: three tiers sharing the reserve 50/30/20 with their alignments', async () => {
  const heap = await Walloc.instantiate({ tiers: { reserveBytes: 4 * MIB } });
  const tiers = heap.stats().tiers;
  assert.deepEqual(tiers.map((t) => t.name), ['render', 'scene', 'entity']);
  assert.ok(tiers[0].capacity >= 2 * MIB && tiers[1].capacity >= 1.2 * MIB && tiers[2].capacity >= 0.8 * MIB);
  for (const [tier, alignment] of [[TIER.RENDER, 128], [TIER.SCENE, 64], [TIER.ENTITY, 8]]) {
    for (const size of [1, 3, 100, 1000]) assert.equal(heap.tierAlloc(tier, size) % alignment, 0, `tier ${tier} size ${size}`);
  }
});

test('tierAlloc hands out distinct, checked blocks; stats count them', async () => {
  const heap = await Walloc.instantiate();
  const a = heap.tierAlloc(TIER.ENTITY, 40);
  const b = heap.tierAlloc(TIER.ENTITY, 24);
  assert.ok(b >= a + 40);
  heap.copyIn(a, new Uint8Array(40).fill(3));
  assert.throws(() => heap.copyIn(a, new Uint8Array(41)), RangeError, 'checked against the tier block size');
  assert.throws(() => heap.view(b, 7, Float32Array), RangeError);
  assert.equal(heap.view(b, 6, Float32Array).length, 6);
  heap.fill(b, 9, 24);
  heap.copy(a, b, 24);
  assert.deepEqual([...heap.copyOut(a, 26)], [...new Array(24).fill(9), 3, 3]);
  const entity = heap.stats().tiers[TIER.ENTITY];
  assert.equal(entity.used, b + 24 - a);
  assert.equal(entity.totalAllocated, 64);
  assert.equal(entity.highWater, entity.used);
  assert.equal(heap.tierAlloc(TIER.SCENE, 0) > 0, true, 'size 0 is valid');
});

test('free or realloc of a tier block throws, tier memory is untouched', async () => {
  const heap = await Walloc.instantiate();
  const p = heap.tierAlloc(TIER.SCENE, 100);
  heap.fill(p, 0x42, 100);
  assert.throws(() => heap.free(p), /walloc: free of tier block/);
  assert.throws(() => heap.realloc(p, 10), /walloc: realloc of tier block/);
  assert.throws(() => heap.free(p + 64), /walloc: invalid free of 0x/, 'walloc itself rejects pointers into tiers');
  assert.ok(heap.view(p, 100).every((x) => x === 0x42));
  heap.check();
});

test('tierReset recycles the tier and stale blocks can no longer be viewed', async () => {
  const heap = await Walloc.instantiate();
  const p = heap.tierAlloc(TIER.RENDER, 1000);
  heap.tierReset(TIER.RENDER);
  const render = heap.stats().tiers[TIER.RENDER];
  assert.equal(render.used, 0);
  assert.equal(render.resets, 1);
  assert.equal(render.recycled, 1000);
  assert.throws(() => heap.view(p, 1), /Error: walloc: invalid malloc_usable_size/, 'a recycled tier block is no block');
  assert.equal(heap.tierAlloc(TIER.RENDER, 8), p, 'the bump starts over');
});

test('tierCompact keeps the persistent bytes exactly and recycles the rest', async () => {
  const heap = await Walloc.instantiate();
  const level = heap.tierAlloc(TIER.SCENE, 4096);
  heap.copyIn(level, Uint8Array.from({ length: 4096 }, (_, i) => i * 7));
  const keep = heap.stats().tiers[TIER.SCENE].used;
  const transient = heap.tierAlloc(TIER.SCENE, 5000);
  heap.tierCompact(TIER.SCENE, keep);
  assert.equal(heap.stats().tiers[TIER.SCENE].used, keep);
  assert.deepEqual(heap.copyOut(level, 4096), Uint8Array.from({ length: 4096 }, (_, i) => i * 7));
  assert.throws(() => heap.view(transient, 1));
  assert.throws(() => heap.tierCompact(TIER.SCENE, keep + 1), (e) => e instanceof RangeError && /holds only \d+ bytes/.test(e.message));
  assert.equal(heap.stats().tiers[TIER.SCENE].used, keep, 'a refused compact changes nothing');
});

test('marks nest; release recycles after the mark; stale marks throw', async () => {
  const heap = await Walloc.instantiate();
  const outer = heap.tierMark(TIER.ENTITY);
  const a = heap.tierAlloc(TIER.ENTITY, 64);
  const inner = heap.tierMark(TIER.ENTITY);
  const b = heap.tierAlloc(TIER.ENTITY, 64);
  assert.deepEqual(Object.keys(inner), ['tier', 'offset', 'generation']);
  heap.tierRelease(inner);
  assert.throws(() => heap.view(b, 1));
  assert.equal(heap.view(a, 64).length, 64, 'blocks before the mark survive');
  heap.tierRelease(outer);
  assert.throws(() => heap.view(a, 1));
  assert.throws(() => heap.tierRelease(inner), /walloc: tierRelease\(entity\): stale mark/);
  const late = heap.tierMark(TIER.ENTITY);
  heap.tierAlloc(TIER.ENTITY, 8);
  const later = heap.tierMark(TIER.ENTITY);
  heap.tierReset(TIER.ENTITY);
  assert.throws(() => heap.tierRelease(later), /stale mark/);
  heap.tierRelease(late);
  assert.throws(() => heap.tierRelease({ tier: 7, offset: 0, generation: 0 }), RangeError);
  assert.throws(() => heap.tierRelease(null), TypeError);
});

test('tiers grow past their reserve and keep earlier blocks', async () => {
  const heap = await Walloc.instantiate({ tiers: { reserveBytes: 64 * 1024 } });
  const first = heap.tierAlloc(TIER.ENTITY, 1000);
  heap.fill(first, 0x77, 1000);
  const grown = [];
  heap.onGrow(() => grown.push(1));
  for (let i = 0; i < 200; i++) heap.tierAlloc(TIER.ENTITY, 10000);
  assert.ok(heap.stats().tiers[TIER.ENTITY].capacity >= 2 * MIB);
  assert.ok(grown.length > 0, 'growth was announced');
  assert.ok(heap.view(first, 1000).every((x) => x === 0x77));
  heap.check();
});

test('tier exhaustion: RangeError, or 0 with throwOnOOM false, and nothing lost', async () => {
  const strict = await Walloc.instantiate({ maxBytes: 4 * MIB });
  assert.throws(() => strict.tierAlloc(TIER.RENDER, 8 * MIB), /walloc: out of memory \(tierAlloc\(render\) of 8388608 bytes/);
  const lenient = await Walloc.instantiate({ maxBytes: 4 * MIB, throwOnOOM: false });
  const kept = lenient.tierAlloc(TIER.SCENE, 100);
  lenient.fill(kept, 5, 100);
  assert.equal(lenient.tierAlloc(TIER.SCENE, 8 * MIB), 0);
  assert.equal(lenient.view(kept, 100)[99], 5);
});

test('bad tier arguments', async () => {
  const heap = await Walloc.instantiate();
  assert.throws(() => heap.tierAlloc(3, 8), /no tier 3 \(the heap has 3\)/);
  assert.throws(() => heap.tierAlloc('scene', 8), TypeError);
  assert.throws(() => heap.tierReset(-1), RangeError);
  assert.throws(() => heap.tierMark(99), RangeError);
  assert.throws(() => heap.tierCompact(TIER.SCENE, -5), RangeError);
  const none = await Walloc.instantiate({ tiers: false });
  assert.throws(() => none.tierAlloc(TIER.RENDER, 8), /no tier 0 \(the heap has 0\)/);
});

test('custom layouts: names, shares, alignments; invalid layouts are refused', async () => {
  const heap = await Walloc.instantiate({
    tiers: { reserveBytes: MIB, layout: [{ name: 'frame', share: 60, alignment: 256 }, { name: 'level', share: 40 }] },
  });
  assert.deepEqual(heap.stats().tiers.map((t) => t.name), ['frame', 'level']);
  assert.equal(heap.tierAlloc(0, 3) % 256, 0);
  assert.equal(heap.tierAlloc(0, 3) % 256, 0);
  assert.equal(heap.tierAlloc(1, 3) % 8, 0);
  await assert.rejects(Walloc.instantiate({ tiers: { layout: [{ name: 'a', share: 70 }, { name: 'b', share: 40 }] } }), /cannot create tiers/);
  await assert.rejects(Walloc.instantiate({ tiers: { layout: [{ name: 'a', share: 10, alignment: 48 }] } }), /alignment must be a power of two/);
  await assert.rejects(Walloc.instantiate({ tiers: { layout: [] } }), RangeError);
  await assert.rejects(Walloc.instantiate({ tiers: { layout: [{ share: 10 }] } }), TypeError);
});

test('memoryMap shows tier chunks', async () => {
  const heap = await Walloc.instantiate();
  const p = heap.tierAlloc(TIER.RENDER, 16);
  assert.equal(heap.memoryMap()[p >>> 12], Walloc.SLICE.TIER);
  assert.ok(heap.stats().tierBytes >= MIB);
});
