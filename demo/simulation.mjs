// The game loop of the reference README on walloc's tiers, checked as it runs: persistent level
// data in SCENE, a RENDER reset every frame, ENTITY churn reset every 10 frames, SCENE compacted
// to its persistent size, large textures in the general heap, scripted entities as objects of
// the garbage collector (scripted.mjs), then an asset phase. Runs in the browser (demo.mjs drives
// it frame by frame) and in node (tests/js/simulation.test.mjs).
import { Walloc, TIER } from '../js/walloc.mjs';
import { fnv1a } from './hash.mjs';
import { ROOT_SLOTS, ScriptedEntities } from './scripted.mjs';

const KIB = 1024;
const MIB = KIB * KIB;
export const FRAMES = 300;
const WARM_UP = 120;
const LEVEL_BLOCKS = 32;
const LEVEL_BLOCK_BYTES = 8 * KIB;
const TEXTURE_SIZES = [1 * MIB, 2 * MIB, 3 * MIB];
const TEXTURE_EVERY = 20;
const TEXTURES_KEPT = 3;
const CHECK_EVERY = 50;
const FAILS_SHOWN = 3;

// A small deterministic generator, so every run allocates the same sizes.
function random(seed) {
  let state = seed >>> 0;
  return (below) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * below);
  };
}

export class Simulation {
  /** log(kind, text): kind is 'pass', 'fail', 'info' or 'summary'. */
  constructor(heap, log) {
    this.heap = heap;
    this.log = log;
    this.frame = 0;
    this.passed = 0;
    this.failed = 0;
    this.random = random(2024);
    this.problems = new Map();
    this.counts = { renderBlocks: 0, entityResets: 0, sceneCompacts: 0, levelChecks: 0, textures: 0, heapChecks: 0 };
    // What the simulation holds, so the map can show which tier slices are in use.
    this.live = { [TIER.RENDER]: [], [TIER.SCENE]: [], [TIER.ENTITY]: [] };
    this.textures = [];
    this.level = [];
    this.scripted = new ScriptedEntities(heap, random(77), (check, detail) => this.problem(check, detail));
  }

  static async create(log) {
    return new Simulation(await Walloc.instantiate({ tiers: { reserveBytes: 16 * MIB }, gc: { roots: ROOT_SLOTS } }), log);
  }

  expect(ok, text) {
    if (ok) this.passed++;
    else this.failed++;
    this.log(ok ? 'pass' : 'fail', text);
    return ok;
  }

  // A failed check inside the loop: counted per check, the first few shown at once.
  problem(check, detail) {
    const seen = (this.problems.get(check) ?? 0) + 1;
    this.problems.set(check, seen);
    if (seen <= FAILS_SHOWN) this.log('fail', `frame ${this.frame}: ${check}: ${detail}`);
  }

  // Level geometry that must survive every frame, at the start of SCENE.
  setup() {
    const { heap } = this;
    for (let i = 0; i < LEVEL_BLOCKS; i++) {
      const ptr = heap.tierAlloc(TIER.SCENE, LEVEL_BLOCK_BYTES);
      const words = heap.view(ptr, LEVEL_BLOCK_BYTES / 4, Uint32Array);
      for (let w = 0; w < words.length; w++) words[w] = Math.imul(i + 1, 2654435761) ^ w;
      this.level.push({ ptr, size: LEVEL_BLOCK_BYTES, hash: fnv1a(heap.view(ptr, LEVEL_BLOCK_BYTES)) });
    }
    this.live[TIER.SCENE] = [...this.level];
    this.persistent = heap.stats().tiers[TIER.SCENE].used;
    this.log('info', `level data: ${LEVEL_BLOCKS} blocks, ${this.persistent} persistent bytes in SCENE`);
  }

  get done() { return this.frame >= FRAMES; }

  step() {
    this.render();
    this.entities();
    this.scene();
    this.texturesStep();
    this.scripted.step(this.frame);
    this.checkLevel();
    if (this.frame === WARM_UP) this.warmMemory = this.heap.stats().memoryBytes;
    if (this.frame % CHECK_EVERY === CHECK_EVERY - 1) this.checkHeap();
    this.frame++;
  }

  render() {
    const { heap } = this;
    heap.tierReset(TIER.RENDER);
    if (heap.stats().tiers[TIER.RENDER].used !== 0) this.problem('RENDER reset', 'used is not 0');
    const blocks = [];
    for (let i = 0; i < 64; i++) {
      const size = 512 + this.random(3584);
      const ptr = heap.tierAlloc(TIER.RENDER, size);
      if (ptr % 128 !== 0) this.problem('RENDER alignment', `0x${ptr.toString(16)} is not 128-aligned`);
      heap.fill(ptr, this.frame & 0xff, size);
      blocks.push({ ptr, size });
    }
    const probe = blocks[this.random(blocks.length)];
    if (!heap.view(probe.ptr, probe.size).every((b) => b === (this.frame & 0xff))) this.problem('RENDER contents', 'fill did not stick');
    this.counts.renderBlocks += blocks.length;
    this.live[TIER.RENDER] = blocks;
  }

  entities() {
    const { heap } = this;
    for (let i = 0; i < 40; i++) {
      const size = 48 + 8 * this.random(44);
      const ptr = heap.tierAlloc(TIER.ENTITY, size);
      const id = this.frame * 40 + i;
      heap.view(ptr, 1, Uint32Array)[0] = id;
      this.live[TIER.ENTITY].push({ ptr, size, id });
    }
    if (this.frame % 10 !== 9) return;
    const lost = this.live[TIER.ENTITY].filter(({ ptr, id }) => heap.view(ptr, 1, Uint32Array)[0] !== id);
    if (lost.length) this.problem('ENTITY contents', `${lost.length} entities overwritten before their reset`);
    heap.tierReset(TIER.ENTITY);
    if (heap.stats().tiers[TIER.ENTITY].used !== 0) this.problem('ENTITY reset', 'used is not 0');
    this.live[TIER.ENTITY] = [];
    this.counts.entityResets++;
  }

  scene() {
    const { heap } = this;
    for (let i = 0; i < 12; i++) {
      const size = KIB + this.random(15 * KIB);
      this.live[TIER.SCENE].push({ ptr: heap.tierAlloc(TIER.SCENE, size), size });
    }
    if (this.frame % 30 !== 29) return;
    heap.tierCompact(TIER.SCENE, this.persistent);
    if (heap.stats().tiers[TIER.SCENE].used !== this.persistent) this.problem('SCENE compact', 'used is not the persistent size');
    this.live[TIER.SCENE] = [...this.level];
    this.counts.sceneCompacts++;
  }

  texturesStep() {
    if (this.frame % TEXTURE_EVERY !== 0) return;
    const { heap } = this;
    const id = this.counts.textures++;
    const size = TEXTURE_SIZES[id % TEXTURE_SIZES.length];
    const ptr = heap.malloc(size);
    heap.fill(ptr, id & 0xff, size);
    this.textures.push({ ptr, size, id });
    if (this.textures.length > TEXTURES_KEPT) this.dropTexture(this.textures.shift());
  }

  dropTexture({ ptr, size, id }) {
    const pixels = this.heap.view(ptr, size / 4, Uint32Array);
    const expected = (id & 0xff) * 0x01010101;
    if (!pixels.every((p) => p === expected)) this.problem('textures', `texture ${id} changed while it was live`);
    this.heap.free(ptr);
  }

  checkLevel() {
    const broken = this.level.filter(({ ptr, size, hash }) => fnv1a(this.heap.view(ptr, size)) !== hash);
    if (broken.length) this.problem('level data', `${broken.length} persistent blocks changed`);
    this.counts.levelChecks++;
  }

  checkHeap() {
    try {
      this.heap.check();
    } catch (error) {
      this.problem('heap check', error.message);
    }
    this.counts.heapChecks++;
  }

  // One [PASS]/[FAIL] line per rule of the loop, once it has run.
  reportLoop() {
    const ok = (check) => !this.problems.has(check);
    const c = this.counts;
    const stats = this.heap.stats();
    this.expect(ok('RENDER reset') && ok('RENDER alignment') && ok('RENDER contents'),
      `RENDER reset on each of ${this.frame} frames, ${c.renderBlocks} blocks 128-byte aligned and filled`);
    this.expect(ok('ENTITY reset') && ok('ENTITY contents') && c.entityResets === Math.floor(this.frame / 10),
      `ENTITY churn: ${c.entityResets} resets every 10 frames, every entity intact until its reset`);
    this.expect(ok('SCENE compact') && c.sceneCompacts === Math.floor(this.frame / 30),
      `SCENE compacted ${c.sceneCompacts} times to its ${this.persistent} persistent bytes`);
    this.expect(ok('level data') && c.levelChecks === this.frame, `persistent level data intact on all ${c.levelChecks} frames`);
    this.expect(ok('textures') && c.textures > TEXTURES_KEPT, `${c.textures} large textures (1-3 MiB) allocated, checked and freed`);
    this.expect(this.warmMemory === stats.memoryBytes,
      `linear memory flat after warm-up: ${this.warmMemory / MIB} MiB at frame ${WARM_UP}, ${stats.memoryBytes / MIB} MiB at frame ${this.frame}`);
    this.expect(ok('heap check') && c.heapChecks > 0, `heap.check() consistent ${c.heapChecks} times`);
    const render = stats.tiers[TIER.RENDER];
    this.expect(render.recycled + render.used >= render.totalAllocated && render.highWater >= render.used,
      `tier stats add up: RENDER recycled ${(render.recycled / MIB).toFixed(1)} MiB, high water ${render.highWater} bytes`);
    this.scripted.report((passed, text) => this.expect(passed, text), ok);
  }

  async assetPhase(base) {
    const { heap } = this;
    const manifest = await (await fetch(`${base}manifest.json`)).json();
    heap.tierCompact(TIER.SCENE, this.persistent);
    this.live[TIER.SCENE] = [...this.level];
    const urls = Object.keys(manifest).map((name) => `${base}${name}`);
    for (const [i, name] of Object.keys(manifest).entries()) {
      const view = await heap.loadAsset(urls[i]);
      const { bytes, fnv1a: hash } = manifest[name];
      this.expect(view.length === bytes && fnv1a(view) === hash,
        `loaded ${name}: ${view.length} bytes into SCENE at 0x${view.byteOffset.toString(16)}, fnv1a ${fnv1a(view) === hash ? 'matches' : 'differs'}`);
    }
    this.trackAssets();
    const victim = urls[1];
    const { used: before } = heap.stats().tiers[TIER.SCENE];
    const offsets = Object.fromEntries(urls.map((url) => [url, heap.getAsset(url).byteOffset]));
    const moved = heap.evictAsset(victim);
    let gone = false;
    try {
      heap.getAsset(victim);
    } catch {
      gone = true;
    }
    const { used: after } = heap.stats().tiers[TIER.SCENE];
    this.expect(gone && before - after >= manifest[victim.slice(base.length)].bytes,
      `evicted ${victim.slice(base.length)}: getAsset throws, SCENE used ${before} -> ${after} bytes`);
    const survivorsIntact = Object.entries(moved).every(([url, view]) =>
      view.byteOffset < offsets[url] && fnv1a(view) === manifest[url.slice(base.length)].fnv1a);
    this.expect(Object.keys(moved).length === urls.length - 2 && survivorsIntact,
      `${Object.keys(moved).length} later assets compacted down, views re-issued, contents intact`);
    this.trackAssets();
    for (const url of heap.assets()) heap.evictAsset(url);
    this.expect(heap.assets().length === 0 && heap.stats().tiers[TIER.SCENE].used === this.persistent,
      `all assets evicted: SCENE back to its ${this.persistent} persistent bytes`);
    this.trackAssets();
    let refused = false;
    try {
      heap.getAsset(`${base}never-loaded.bin`);
    } catch (error) {
      refused = /no asset/.test(error.message);
    }
    this.expect(refused, 'getAsset of a url never loaded throws');
    this.checkLevel();
    this.expect(!this.problems.has('level data'), 'level data intact after the asset phase');
  }

  trackAssets() {
    this.live[TIER.SCENE] = [...this.level, ...this.heap.assets().map((url) => {
      const view = this.heap.getAsset(url);
      return { ptr: view.byteOffset, size: view.length };
    })];
  }

  summary() {
    const line = `Summary: ${this.passed} passed, ${this.failed} failed`;
    this.log('summary', line);
    return line;
  }
}
