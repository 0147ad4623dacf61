// The simulation's garbage-collected part: scripted entities as GC objects of walloc's collector
// (Walloc.instantiate({ gc })). Each frame spawns SPAWNS entities, each a scanned object whose
// two words point at an atomic name and an atomic state block filled with its id's low byte.
// KEPT of them are put in root slots, dropping the entity there, and the rest are dropped as the
// next one is spawned. Every
// COLLECT_EVERY frames a collection runs and is checked: every rooted entity is intact, and
// every entity dropped since the last collection is gone. The collector also runs by itself as
// allocation goes on.
//
// JavaScript holds pointers as numbers, which the collector cannot see: each new object is put
// in a root slot, or in an entity that is rooted, before the next allocation, which may collect.
// Entities hold no other number: a scanned word that happened to equal an address would keep
// the object there alive, and the check that dropped entities are gone would fail.
import { SLICE } from '../js/walloc.mjs';

const KIB = 1024;
const MIB = KIB * KIB;
const ROOTED = 64; // root slots 1..ROOTED hold the kept entities
const BUILDING = 0; // the root slot of the entity being spawned
export const ROOT_SLOTS = ROOTED + 1;
const SPAWNS = 120;
const KEPT = 2;
const COLLECT_EVERY = 30;
const ENTITY_BYTES = 8; // words: name, state
const NAME_BYTES = 16;

export class ScriptedEntities {
  /** heap: a Walloc with the collector; random(below): the simulation's generator; problem(check, detail) reports a failed check. */
  constructor(heap, random, problem) {
    this.heap = heap;
    this.random = random;
    this.problem = problem;
    this.rooted = new Array(ROOTED + 1).fill(null); // what each slot holds, as spawn made it
    this.dropped = []; // { ptr, collections }: entities dropped since the last checked collection
    this.counts = { spawned: 0, kept: 0, checkedLive: 0, checkedGone: 0, collections: 0 };
    this.peakHeap = 0;
    this.peakRooted = 0;
  }

  step(frame) {
    for (let i = 0; i < SPAWNS; i++) this.spawn(i < KEPT);
    const { heapBytes } = this.heap.gcStats();
    this.peakHeap = Math.max(this.peakHeap, heapBytes);
    if (frame % COLLECT_EVERY === COLLECT_EVERY - 1) this.collect();
  }

  // One entity, built in the BUILDING slot; kept in a random slot or dropped at the next spawn.
  spawn(keep) {
    const { heap } = this;
    const id = this.counts.spawned++;
    const ptr = heap.gcAlloc(ENTITY_BYTES);
    const previous = heap.gcSetRoot(BUILDING, ptr);
    if (previous && !this.rooted.some((e) => e?.ptr === previous)) this.drop(previous);
    const name = heap.gcAlloc(NAME_BYTES, { atomic: true });
    const text = new TextEncoder().encode(`entity ${id}`.slice(0, NAME_BYTES));
    heap.copyIn(name, text);
    heap.view(ptr, 1, Uint32Array)[0] = name; // rooted through the entity from here on
    const size = 32 + 16 * this.random(30);
    const state = heap.gcAlloc(size, { atomic: true });
    heap.fill(state, id & 0xff, size);
    heap.view(ptr, 2, Uint32Array)[1] = state;
    if (!keep) return;
    const slot = 1 + this.random(ROOTED);
    const replaced = heap.gcSetRoot(slot, ptr);
    if (replaced) this.drop(replaced);
    this.rooted[slot] = { ptr, name, text, state, size, id };
    this.counts.kept++;
    const bytes = this.rooted.reduce((sum, e) => sum + (e ? ENTITY_BYTES + NAME_BYTES + e.size : 0), 0);
    this.peakRooted = Math.max(this.peakRooted, bytes);
  }

  drop(ptr) {
    this.dropped.push({ ptr, collections: this.heap.gcStats().collections });
  }

  // A collection, then the checks. An entity dropped before an earlier collection may already be
  // gone and its block reused by a newer object: only those dropped since are asked about.
  collect() {
    const { heap } = this;
    const before = heap.gcStats().collections;
    heap.gcCollect();
    this.counts.collections++;
    const lingering = this.dropped.filter((d) => d.collections === before && heap.gcSize(d.ptr) !== 0);
    if (lingering.length) this.problem('GC dropped', `${lingering.length} dropped entities survived a collection`);
    this.counts.checkedGone += this.dropped.filter((d) => d.collections === before).length;
    this.dropped = [];
    for (const e of this.rooted) {
      if (!e) continue;
      // Sizes first: a view of a collected object would throw rather than report.
      const alive = heap.gcSize(e.ptr) >= ENTITY_BYTES && heap.gcSize(e.name) >= NAME_BYTES && heap.gcSize(e.state) >= e.size;
      const [name, state] = alive ? heap.view(e.ptr, 2, Uint32Array) : [];
      const ok = alive && name === e.name && state === e.state &&
        heap.copyOut(e.name, e.text.length).every((b, i) => b === e.text[i]) &&
        heap.view(e.state, e.size).every((b) => b === (e.id & 0xff));
      if (!ok) this.problem('GC rooted', `entity ${e.id} changed while rooted`);
      this.counts.checkedLive++;
    }
  }

  // One [PASS]/[FAIL] line per rule, once the loop has run; `ok(check)`: no problem reported.
  report(expect, ok) {
    const { heap, counts: c } = this;
    const gc = heap.gcStats();
    const slices = heap.memoryMap().reduce((count, code) => count + (code === SLICE.GC), 0);
    expect(slices > 0 && slices * 4 * KIB === heap.stats().gcBytes,
      `memory map: ${slices} slices of GC spans, the ${(heap.stats().gcBytes / KIB).toFixed(0)} KiB stats().gcBytes counts`);
    expect(ok('GC rooted') && c.checkedLive > 0,
      `GC: ${c.spawned} scripted entities spawned, ${c.kept} kept in ${ROOTED} root slots, the rooted ones intact at each of ${c.collections} checked collections (${c.checkedLive} checks)`);
    expect(ok('GC dropped') && c.checkedGone > 0,
      `GC: the ${c.checkedGone} entities dropped since the collection before each check were all freed (${gc.collections} collections in all)`);
    const bound = 2 * this.peakRooted + MIB;
    expect(this.peakHeap <= bound,
      `GC heap bounded: ${(gc.totalBytes / MIB).toFixed(1)} MiB allocated, GC spans at most ${(this.peakHeap / KIB).toFixed(0)} KiB for ${(this.peakRooted / KIB).toFixed(0)} KiB rooted (bound ${(bound / KIB).toFixed(0)} KiB)`);
  }
}
