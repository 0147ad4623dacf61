// The asset cache: loads over HTTP from the demo server into the SCENE tier, views, eviction
// with compaction of the survivors, and its errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Walloc, TIER } from '../../js/walloc.mjs';
import { serve } from '../../demo/serve.mjs';

const { server, url } = await serve(0);
after(() => server.close());
const asset = (name) => `${url}/demo/assets/${name}`;
const onDisk = (name) => new Uint8Array(readFileSync(new URL(`../../demo/assets/${name}`, import.meta.url)));
const NAMES = ['sphere.mesh', 'level.json', 'noise.bin', 'checker.rgba'];

test('loadAsset fetches into SCENE once; getAsset returns fresh views', async () => {
  const heap = await Walloc.instantiate();
  let fetches = 0;
  const counting = await Walloc.instantiate({ fetch: (u) => { fetches++; return fetch(u); } });
  const view = await heap.loadAsset(asset('sphere.mesh'));
  assert.deepEqual(view, onDisk('sphere.mesh'));
  const used = heap.stats().tiers[TIER.SCENE].used;
  assert.ok(used >= view.length);
  assert.equal(heap.getAsset(asset('sphere.mesh')).byteOffset, view.byteOffset);
  await heap.loadAsset(asset('sphere.mesh'));
  assert.equal(heap.stats().tiers[TIER.SCENE].used, used, 'a cached asset is not loaded again');
  await counting.loadAsset(asset('level.json'));
  await counting.loadAsset(asset('level.json'));
  assert.equal(fetches, 1);
  assert.deepEqual(heap.assets(), [asset('sphere.mesh')]);
});

test('unknown assets and failed fetches throw', async () => {
  const heap = await Walloc.instantiate();
  assert.throws(() => heap.getAsset(asset('nope')), /walloc: no asset .*nope in the cache/);
  assert.throws(() => heap.evictAsset(asset('nope')), /no asset/);
  await assert.rejects(heap.loadAsset(asset('missing.bin')), /walloc: loading asset .*missing.bin failed: HTTP 404/);
  assert.equal(heap.stats().tiers[TIER.SCENE].used, 0, 'nothing allocated for a failed load');
});

test('evictAsset compacts the survivors down and re-issues their views', async () => {
  const heap = await Walloc.instantiate();
  for (const name of NAMES) await heap.loadAsset(asset(name));
  const before = heap.stats().tiers[TIER.SCENE].used;
  const oldNoise = heap.getAsset(asset('noise.bin')).byteOffset;
  const moved = heap.evictAsset(asset('level.json'));
  assert.deepEqual(Object.keys(moved), [asset('noise.bin'), asset('checker.rgba')]);
  for (const name of ['noise.bin', 'checker.rgba']) {
    assert.deepEqual(moved[asset(name)], onDisk(name));
    assert.deepEqual(heap.getAsset(asset(name)), onDisk(name));
  }
  assert.ok(heap.getAsset(asset('noise.bin')).byteOffset < oldNoise, 'moved down');
  assert.deepEqual(heap.getAsset(asset('sphere.mesh')), onDisk('sphere.mesh'), 'earlier assets stay');
  assert.throws(() => heap.getAsset(asset('level.json')), /no asset/);
  assert.ok(heap.stats().tiers[TIER.SCENE].used <= before - onDisk('level.json').length);
  for (const name of ['sphere.mesh', 'noise.bin', 'checker.rgba']) heap.evictAsset(asset(name));
  assert.deepEqual(heap.assets(), []);
  assert.equal(heap.stats().tiers[TIER.SCENE].used, 0);
});

test('evictAsset refuses to recycle SCENE blocks that are not assets', async () => {
  const heap = await Walloc.instantiate();
  await heap.loadAsset(asset('level.json'));
  const level = heap.tierAlloc(TIER.SCENE, 256);
  assert.throws(() => heap.evictAsset(asset('level.json')), /SCENE block 0x[0-9a-f]+ allocated after it would be recycled/);
  assert.equal(heap.view(level, 256).length, 256);
  assert.deepEqual(heap.getAsset(asset('level.json')), onDisk('level.json'));
});

test('recycling the SCENE tier drops the assets it held', async () => {
  const heap = await Walloc.instantiate();
  const keep = heap.tierAlloc(TIER.SCENE, 64);
  const persistent = heap.stats().tiers[TIER.SCENE].used;
  await heap.loadAsset(asset('noise.bin'));
  heap.tierCompact(TIER.SCENE, persistent);
  assert.deepEqual(heap.assets(), []);
  assert.equal(heap.view(keep, 64).length, 64);
  await heap.loadAsset(asset('noise.bin'));
  heap.tierReset(TIER.SCENE);
  assert.throws(() => heap.getAsset(asset('noise.bin')), /no asset/);
});
