// walloc.mjs - the walloc heap for JavaScript: malloc/free with numeric pointers, checked
// typed-array views and copies, tiered arenas and an asset cache in the SCENE tier.
// Runs unchanged in node >= 20 and in browsers; walloc.wasm (walloc-gc.wasm for a heap with the
// garbage collector, walloc64.wasm for one past 4 GiB), abi.mjs and checks.mjs sit next to it.

import { addressLimits, bindExports, compileFrom, instantiateWith, readWords } from './abi.mjs';
import {
  atomicOption, boolean, bytesOf, describe, elementSize, gcOption, hex, integer, pointer, tierLayout, u32,
} from './checks.mjs';

const WASM_PAGE_BYTES = 65536;
const SLICE_BYTES = 4096;

/** Tier indices of the default layout. */
export const TIER = Object.freeze({ RENDER: 0, SCENE: 1, ENTITY: 2 });

/** What each byte of memoryMap() says about its 4 KiB slice of linear memory (GC: the collector's spans). */
export const SLICE = Object.freeze({ UNUSED: 0, STATIC: 1, META: 2, FREE: 3, SMALL: 4, LARGE: 5, TIER: 6, GC: 7 });

let defaultModule, defaultGcModule, default64Module;

/**
 * One walloc heap in its own (or a given) WebAssembly.Memory. Create it with
 * `await Walloc.instantiate(options)`.
 */
export class Walloc {
  static TIER = TIER;
  static SLICE = SLICE;

  #exports;
  #memory;
  #memory64;
  #max; // the largest pointer or size: 2^32 - 1 on wasm32, 2^53 - 1 on wasm64
  #maxPages;
  #buffer;
  #shared; // a shared memory (WallocThreads): other threads grow it, its buffers never detach
  #stack;
  #scratch;
  #throwOnOOM;
  #fetch;
  #growListeners = new Set();
  #tiers = [];
  #tierBlocks = new Map();
  #assets = new Map();
  #roots = 0; // root slots of the collector; 0 without it

  /** Use Walloc.instantiate(); the constructor is internal. */
  constructor(instance, memory, memory64, { throwOnOOM, fetch: fetcher }) {
    this.#exports = bindExports(instance.exports, memory64);
    this.#memory = memory;
    this.#memory64 = memory64;
    ({ maxAddress: this.#max, maxPages: this.#maxPages } = addressLimits(memory64));
    this.#buffer = memory.buffer;
    this.#shared = typeof SharedArrayBuffer === 'function' && this.#buffer instanceof SharedArrayBuffer;
    this.#stack = instance.exports.__stack_pointer;
    this.#scratch = this.#exports.wjs_scratch();
    this.#throwOnOOM = throwOnOOM;
    this.#fetch = fetcher;
  }

  /**
   * Compiles (once) and instantiates walloc. Options: maxBytes (cap on linear memory),
   * memory (a WebAssembly.Memory to use instead of a new one), tiers ({ reserveBytes, layout:
   * [{ name, share, alignment }] } or false), gc (true or { roots } for the garbage collector
   * with that many root slots, default 1024; it loads walloc-gc.wasm), memory64 (true: the
   * wasm64 build, walloc64.wasm, whose heap grows past 4 GiB; a `module` given is detected),
   * throwOnOOM (default true), module (a WebAssembly.Module or URL of walloc.wasm; with gc, of
   * walloc-gc.wasm), fetch (used by loadAsset). On wasm64 pointers and sizes are numbers too.
   * The numbers are checked before anything is compiled or created, like every argument below:
   * maxBytes as setLimit's; tiers.reserveBytes an integer 0..2^32-1; each share an integer
   * 0..100, together at most 100; each alignment a power of two up to 2^31; gc.roots an integer
   * 1..2^30-1. A value of the wrong type or not an integer rejects with a TypeError, one out of
   * range with a RangeError, each naming the option; a module without the collector for gc, with
   * a TypeError.
   */
  static async instantiate(options = {}) {
    const { maxBytes, memory: given, tiers, gc, throwOnOOM = true, module: source, fetch: fetcher, memory64 } = options;
    if (maxBytes !== undefined) integer(maxBytes, 'maxBytes');
    if (memory64 !== undefined) boolean(memory64, 'memory64');
    const layout = tierLayout(tiers, addressLimits(memory64).maxAddress);
    const collector = gcOption(gc);
    if (collector && memory64) throw new TypeError('walloc: gc is not available on wasm64 (memory64) yet');
    let module;
    if (source instanceof WebAssembly.Module) module = source;
    else if (source !== undefined) module = await compileFrom(new URL(source, import.meta.url));
    else if (memory64) module = await (default64Module ??= compileFrom(new URL('./walloc64.wasm', import.meta.url)));
    else if (collector) module = await (defaultGcModule ??= compileFrom(new URL('./walloc-gc.wasm', import.meta.url)));
    else module = await (defaultModule ??= compileFrom(new URL('./walloc.wasm', import.meta.url)));
    if (collector && !WebAssembly.Module.exports(module).some(({ name }) => name === 'wjs_gc_start')) {
      throw new TypeError('walloc: gc needs walloc-gc.wasm; the module given has no collector');
    }
    if (given !== undefined && !(given instanceof WebAssembly.Memory)) throw new TypeError('walloc: memory must be a WebAssembly.Memory');
    const linked = await instantiateWith(module, given, memory64);
    const heap = new Walloc(linked.instance, linked.memory, linked.memory64, { throwOnOOM, fetch: fetcher ?? ((url) => fetch(url)) });
    if (maxBytes !== undefined) heap.setLimit(maxBytes);
    if (layout) heap.#createTiers(layout);
    if (collector) heap.#startCollector(collector);
    return heap;
  }

  /** The WebAssembly.Memory the heap lives in. */
  get memory() { return this.#memory; }

  /** The current ArrayBuffer of the memory (replaced whenever memory grows). */
  get buffer() { return this.#current(); }

  // ---- the malloc family ----
  //
  // Every numeric argument of every method is checked in JavaScript before it reaches wasm,
  // which would otherwise wrap it to 32 bits (NaN -> 0, 2^32 + 8 -> 8, -1 -> 0xffffffff, 1.5 -> 1):
  // a value that is not a number or not an integer throws a TypeError, a negative one or one past
  // the memory's addresses (2^32 - 1 on wasm32, 2^53 - 1 on wasm64) a RangeError, and nothing
  // changes. A size past them is a request that cannot be met instead: out of memory, 0 or
  // RangeError as throwOnOOM says. "Past 2^32 - 1" below means past 2^53 - 1 on wasm64.

  /** A block of at least `size` bytes; 0 or RangeError when memory runs out (any size past 2^32 - 1). */
  malloc(size) {
    integer(size, 'size');
    const ptr = size > this.#max ? 0 : this.#exports.walloc_malloc(size);
    return ptr ? this.#grown(ptr) : this.#outOfMemory('malloc', size);
  }

  /** `count * size` zeroed bytes; 0 or RangeError when memory runs out, the product overflows or either is past 2^32 - 1. */
  calloc(count, size) {
    integer(count, 'count');
    integer(size, 'size');
    const ptr = count > this.#max || size > this.#max ? 0 : this.#exports.walloc_calloc(count, size);
    return ptr ? this.#grown(ptr) : this.#outOfMemory('calloc', count * size);
  }

  /** Resizes a block (may move it); on failure (a size past 2^32 - 1 included) the old block is untouched. */
  realloc(ptr, size) {
    this.#mallocOnly(pointer(ptr, 'pointer', this.#max), 'realloc');
    integer(size, 'size');
    if (size > this.#max) return this.#outOfMemory('realloc', size);
    const stack = this.#stack.value;
    let moved;
    try {
      moved = this.#exports.walloc_realloc(ptr, size);
    } catch (error) {
      throw this.#trapped(error, stack);
    }
    return moved ? this.#grown(moved) : this.#outOfMemory('realloc', size);
  }

  /** Frees a block; free(0) does nothing. A double or invalid free throws walloc's message. */
  free(ptr) {
    this.#mallocOnly(pointer(ptr, 'pointer', this.#max), 'free');
    const stack = this.#stack.value;
    try {
      this.#exports.walloc_free(ptr);
    } catch (error) {
      throw this.#trapped(error, stack);
    }
  }

  /** The usable size of a live malloc block (0 for 0); throws for anything else. */
  usableSize(ptr) {
    pointer(ptr, 'pointer', this.#max);
    const stack = this.#stack.value;
    try {
      return this.#exports.walloc_malloc_usable_size(ptr);
    } catch (error) {
      throw this.#trapped(error, stack);
    }
  }

  /**
   * Caps linear memory at `bytes` (rounded down to 64 KiB); returns the previous cap. Any cap of
   * 2^32 or more is all of wasm32's 4 GiB, and a heap never capped reports 2^32 (2^40, walloc's
   * ceiling, on wasm64). The cap goes over in pages: as bytes, 2^32 does not fit the i32 (the C
   * API would see 2^32 - 1, one page less, and report a cap of 4 GiB as 2^32 - 1).
   */
  setLimit(bytes) {
    integer(bytes, 'maxBytes');
    const pages = Math.min(Math.floor(bytes / WASM_PAGE_BYTES), this.#maxPages);
    return this.#exports.wjs_set_limit_pages(pages) * WASM_PAGE_BYTES;
  }

  /** Walks the whole heap; throws an Error with walloc's message when it is inconsistent. */
  check() {
    if (this.#exports.walloc_check() !== 0) throw new Error(this.#takeLastError());
  }

  /** Calls `listener({ buffer, bytes })` after memory grows; returns a function that unsubscribes. */
  onGrow(listener) {
    if (typeof listener !== 'function') throw new TypeError('walloc: onGrow needs a function');
    this.#growListeners.add(listener);
    return () => this.#growListeners.delete(listener);
  }

  // ---- views and copies, checked against the block: malloc's, a tier's or a live GC object ----

  /**
   * A `Ctor` (default Uint8Array) of `length` elements over the block at `ptr`, from `offset`
   * bytes into it (a multiple of the element size), on the current buffer. Valid until memory
   * grows or the block is freed, recycled or collected. `Ctor` must be a typed array constructor
   * whose BYTES_PER_ELEMENT is 1, 2, 4 or 8 (TypeError otherwise), and the view it makes must lie in
   * the block (a subclass that understates its element size gets a RangeError).
   */
  view(ptr, length, Ctor = Uint8Array, offset = 0) {
    const size = elementSize(Ctor);
    const bytes = integer(length, 'length') * size;
    const at = this.#checkRange(pointer(ptr, 'pointer', this.#max), bytes, 'view', offset);
    if (at % size) throw new RangeError(`walloc: view of ${Ctor.name} at ${hex(at)} is not aligned to ${size} bytes`);
    const view = new Ctor(this.#current(), at, length);
    if (!ArrayBuffer.isView(view)) throw new TypeError(`walloc: view needs a typed array constructor, ${Ctor.name} made none`);
    // The check above trusted the constructor's BYTES_PER_ELEMENT; the view's own size is the truth.
    if (view.byteLength !== bytes) this.#checkRange(ptr, view.byteLength, 'view', offset);
    return view;
  }

  /** Copies `source` (ArrayBuffer or view) into the block at `ptr`, `offset` bytes in. */
  copyIn(ptr, source, offset = 0) {
    const bytes = bytesOf(source);
    const at = this.#checkRange(pointer(ptr, 'pointer', this.#max), bytes.length, 'copyIn', offset);
    new Uint8Array(this.#current(), at, bytes.length).set(bytes);
  }

  /** A copy (not a view) of `length` bytes of the block at `ptr`, from `offset` bytes in. */
  copyOut(ptr, length, offset = 0) {
    const at = this.#checkRange(pointer(ptr, 'pointer', this.#max), integer(length, 'length'), 'copyOut', offset);
    return new Uint8Array(this.#current(), at, length).slice();
  }

  /** Sets `n` bytes of the block at `ptr`, from `offset` bytes in, to `byte`, an integer 0..255 (one memory.fill). */
  fill(ptr, byte, n, offset = 0) {
    integer(byte, 'byte');
    if (byte > 255) throw new RangeError(`walloc: fill byte must be 0..255, got ${byte}`);
    this.#exports.wjs_fill(this.#checkRange(pointer(ptr, 'pointer', this.#max), integer(n, 'length'), 'fill', offset), byte, n);
  }

  /** Copies `n` bytes from the block at `src` (from `srcOffset` bytes in) to the block at `dst`
   * (from `dstOffset`); the ranges may overlap, as within one block (one memory.copy). */
  copy(dst, src, n, dstOffset = 0, srcOffset = 0) {
    integer(n, 'length');
    const to = this.#checkRange(pointer(dst, 'destination', this.#max), n, 'copy', dstOffset);
    const from = this.#checkRange(pointer(src, 'source', this.#max), n, 'copy', srcOffset);
    this.#exports.wjs_copy(to, from, n);
  }

  // ---- tiered arenas ----

  /** Bump-allocates `size` bytes in a tier (index or Walloc.TIER value); 0 or RangeError when full or `size` is past 2^32 - 1. */
  tierAlloc(tier, size) {
    const index = this.#tierIndex(tier);
    integer(size, 'size');
    const ptr = size > this.#max ? 0 : this.#exports.wjs_tier_alloc(index, size);
    if (!ptr) return this.#outOfMemory(`tierAlloc(${this.#tiers[index].name})`, size);
    const [end, start] = this.#words(2);
    const block = { ptr, size, start, end, asset: null };
    this.#tiers[index].blocks.push(block);
    this.#tierBlocks.set(ptr, block);
    return this.#grown(ptr);
  }

  /** Recycles everything in a tier, in O(1). */
  tierReset(tier) {
    const index = this.#tierIndex(tier);
    this.#exports.wjs_tier_reset(index);
    this.#dropTierBlocks(index, -1);
  }

  /** Keeps the first `keep` bytes of a tier exactly as they are and recycles the rest; a `keep` past the tier's `used` (or 32 bits) is a RangeError that recycles nothing. */
  tierCompact(tier, keep) {
    const index = this.#tierIndex(tier);
    integer(keep, 'keep');
    if (keep > this.#max || this.#exports.wjs_tier_compact(index, keep) !== 0) {
      const { used } = this.#tierStats(index);
      throw new RangeError(`walloc: tierCompact(${this.#tiers[index].name}, ${keep}): the tier holds only ${used} bytes`);
    }
    this.#dropTierBlocks(index, keep);
  }

  /** A mark of the tier's current top, for tierRelease: { tier, offset, generation }, frozen. */
  tierMark(tier) {
    const index = this.#tierIndex(tier);
    this.#exports.wjs_tier_mark(index);
    const [offset, generation] = this.#words(2);
    return Object.freeze({ tier: index, offset, generation });
  }

  /**
   * Recycles everything allocated in the mark's tier after the mark; a stale mark throws an
   * Error. A malformed mark (not an object; a tier, offset or generation that is not an integer
   * 0..2^32-1) throws a TypeError or RangeError and recycles nothing: wasm would have wrapped the
   * field (NaN to 0, 2^32 + 8 to 8) and walloc recycled more than this wrapper knew, leaving it
   * to check views and copies against blocks that are no longer there.
   */
  tierRelease(mark) {
    if (typeof mark !== 'object' || mark === null) {
      throw new TypeError(`walloc: tierRelease needs a mark from tierMark, got ${describe(mark)}`);
    }
    // Each field is read once: the values checked are the values passed and remembered.
    const index = this.#tierIndex(mark.tier);
    const offset = u32(mark.offset, 'mark.offset', this.#max);
    const generation = u32(mark.generation, 'mark.generation');
    if (this.#exports.wjs_tier_release(index, offset, generation) !== 0) {
      throw new Error(`walloc: tierRelease(${this.#tiers[index].name}): stale mark at offset ${offset}`);
    }
    this.#dropTierBlocks(index, offset);
  }

  // ---- the asset cache, in the SCENE tier ----

  /** Fetches `url` into the SCENE tier once; resolves to a Uint8Array view of it. */
  async loadAsset(url) {
    const key = String(url);
    if (!this.#assets.has(key)) {
      const response = await this.#fetch(key);
      if (!response.ok) throw new Error(`walloc: loading asset ${key} failed: HTTP ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (!this.#assets.has(key)) this.#storeAsset(key, bytes);
    }
    return this.getAsset(key);
  }

  /** A fresh Uint8Array view of a loaded asset; an unknown url throws. */
  getAsset(url) {
    const block = this.#assets.get(String(url));
    if (!block) throw new Error(`walloc: no asset ${String(url)} in the cache`);
    return new Uint8Array(this.#current(), block.ptr, block.size);
  }

  /** The urls of the cached assets, oldest first. */
  assets() { return [...this.#assets.keys()]; }

  /**
   * Drops an asset: the SCENE tier is compacted back to where it began and the assets loaded
   * after it move down. Returns { url: view } for every asset that moved; earlier views of them
   * are stale. Throws when non-asset SCENE blocks lie after it (they would be recycled).
   */
  evictAsset(url) {
    const key = String(url);
    const block = this.#assets.get(key);
    if (!block) throw new Error(`walloc: no asset ${key} in the cache`);
    const scene = this.#tiers[TIER.SCENE];
    const later = scene.blocks.slice(scene.blocks.indexOf(block) + 1);
    const blocker = later.find((b) => b.asset === null);
    if (blocker) throw new Error(`walloc: evictAsset(${key}): SCENE block ${hex(blocker.ptr)} allocated after it would be recycled`);
    const survivors = later.map((b) => [b.asset, this.copyOut(b.ptr, b.size)]);
    this.tierCompact(TIER.SCENE, block.start);
    for (const [name, bytes] of survivors) this.#storeAsset(name, bytes);
    return Object.fromEntries(survivors.map(([name]) => [name, this.getAsset(name)]));
  }

  // ---- the garbage collector (instantiate with gc) ----
  //
  // The collector finds objects from the root slots alone: a pointer JavaScript holds is a number
  // it cannot see. An object that no root slot reaches, directly or through the words of scanned
  // objects that one reaches, may be collected by any later gcAlloc or gcCollect, and its views
  // are dead then, like a freed block's. Without gc these methods throw an Error.

  /**
   * A zeroed GC object of `size` bytes. It is scanned at each aligned 32-bit word, which keeps
   * alive any object it points into, unless `options.atomic` is true (numbers, strings: never
   * scanned). Root it with gcSetRoot, or store it in an object that is rooted, before the next
   * gcAlloc, which may collect. O(1) amortized, a collection now and then. 0 or RangeError when
   * memory runs out (any size past 2^32 - 1), after a collection.
   */
  gcAlloc(size, options) {
    this.#collector('gcAlloc');
    integer(size, 'size');
    const atomic = atomicOption(options);
    const { GC_malloc: scanned, GC_malloc_atomic: plain } = this.#exports;
    const ptr = size > this.#max ? 0 : atomic ? plain(size) : scanned(size);
    return this.#grown(ptr) || this.#outOfMemory('gcAlloc', size);
  }

  /**
   * Puts `ptr`, the start of a live GC object, in root slot `slot` (0 to gcStats().roots - 1):
   * it stays alive, with all it reaches, until the slot changes. `ptr` 0 empties the slot.
   * Returns what the slot held (0: nothing). A slot out of range, or a `ptr` that is not a live
   * GC object's start, is a RangeError that changes nothing. O(1).
   */
  gcSetRoot(slot, ptr) {
    const roots = this.#collector('gcSetRoot');
    integer(slot, 'slot');
    if (slot >= roots) throw new RangeError(`walloc: no root slot ${slot} (the heap has ${roots})`);
    if (pointer(ptr, 'pointer', this.#max) !== 0 && this.gcSize(ptr) === 0) {
      throw new RangeError(`walloc: gcSetRoot(${slot}, ${hex(ptr)}): not the start of a live GC object`);
    }
    return this.#exports.wjs_gc_set_root(slot, ptr);
  }

  /**
   * Collects now: GC objects no root slot reaches are freed, and spans left empty go back to the
   * heap. O(reachable bytes + GC spans).
   */
  gcCollect() {
    this.#collector('gcCollect');
    this.#exports.GC_gcollect();
    this.#grown(0);
  }

  /**
   * The usable size of the live GC object starting at `ptr`; 0 for any other pointer (a collected
   * object, a malloc block, 0). O(1).
   */
  gcSize(ptr) {
    this.#collector('gcSize');
    return this.#exports.GC_size(pointer(ptr, 'pointer', this.#max));
  }

  /**
   * The collector's figures: heapBytes (its spans, as stats().gcBytes), freeBytes (free inside
   * them), totalBytes (allocated in all), bytesSinceGC (allocated since the last collection),
   * collections, roots (root slots). O(1).
   */
  gcStats() {
    const roots = this.#collector('gcStats');
    this.#exports.wjs_gc_stats();
    const w = this.#words(5);
    return { heapBytes: w[0], freeBytes: w[1], totalBytes: w[2], bytesSinceGC: w[3], collections: w[4], roots };
  }

  // ---- statistics ----

  /**
   * Heap counters (tierBytes: pages held by tiers, gcBytes: by the collector) and, per tier,
   * { name, used, capacity, highWater, totalAllocated, recycled, chunks, resets }. memoryBytes and
   * pages are the memory's exact size (2^32 bytes and 65536 pages at most on wasm32): they are read
   * from the memory itself, since walloc_get_stats clamps memory_bytes to SIZE_MAX, 2^32 - 1 on wasm32.
   */
  stats() {
    this.#exports.wjs_stats();
    const w = this.#words(11);
    const memoryBytes = this.#memory.buffer.byteLength;
    return {
      heapBytes: w[0], liveBytes: w[1], peakLiveBytes: w[2], freeBytes: w[3], metaBytes: w[4],
      allocCount: w[5], freeCount: w[6], growCount: w[7], memoryBytes, pages: memoryBytes / WASM_PAGE_BYTES, tierBytes: w[9],
      gcBytes: w[10],
      tiers: this.#tiers.map((tier, index) => this.#tierStats(index)),
    };
  }

  /** One byte per 4 KiB slice of linear memory, a Walloc.SLICE code: who owns that slice. */
  memoryMap() {
    const slices = this.#current().byteLength / SLICE_BYTES;
    const out = new Uint8Array(slices);
    const chunk = this.#exports.wjs_map_capacity();
    for (let first = 0; first < slices; first += chunk) {
      const count = Math.min(chunk, slices - first);
      const at = this.#exports.wjs_memory_map(first, count);
      out.set(new Uint8Array(this.#current(), at, count), first);
    }
    return out;
  }

  // ---- internals ----

  #words(count) { return readWords(this.#current(), this.#scratch, count, this.#memory64); }

  // For calls that trap on a bad pointer. The trap unwinds wasm frames without their
  // epilogues, so the stack pointer taken before the call is put back; walloc reports before it
  // changes any state, so the heap stays usable after the Error.
  #trapped(error, stack) {
    if (!(error instanceof WebAssembly.RuntimeError)) return error;
    this.#stack.value = stack;
    return new Error(this.#takeLastError() || `walloc: trap: ${error.message}`, { cause: error });
  }

  #takeLastError() {
    const at = this.#exports.walloc_last_error();
    const bytes = new Uint8Array(this.#current());
    const end = bytes.indexOf(0, at);
    const message = new TextDecoder().decode(bytes.slice(at, end)); // a copy: no decoding of shared views
    // Cleared so that a later trap with no report of its own does not repeat this one. On a shared
    // heap a report stops every thread (threads.mjs), and all that trap on it read it: kept.
    if (!this.#shared) bytes[at] = 0;
    return message;
  }

  #outOfMemory(what, size) {
    if (!this.#throwOnOOM) return 0;
    const { memoryBytes } = this.stats();
    throw new RangeError(`walloc: out of memory (${what} of ${size} bytes, linear memory ${memoryBytes} bytes)`);
  }

  // Called after every successful allocation: tells onGrow listeners when the buffer changed.
  #grown(ptr) {
    const buffer = this.#memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      for (const listener of this.#growListeners) listener({ buffer, bytes: buffer.byteLength });
    }
    return ptr;
  }

  // The buffer as of the last allocation; a detached one (memory grown from outside) is
  // replaced, with the onGrow listeners told. Cheaper than reading memory.buffer each time, but
  // a shared memory's buffer never detaches: it keeps its length while other threads grow the
  // memory, so there it is read each time.
  #current() {
    if (this.#shared || this.#buffer.byteLength === 0) this.#grown(0);
    return this.#buffer;
  }

  #startCollector({ roots }) {
    if (!this.#exports.wjs_gc_start(roots)) {
      throw new RangeError(`walloc: cannot start the collector: out of memory for ${roots} root slots`);
    }
    this.#roots = roots;
    this.#grown(0);
  }

  // The root slot count, for a method that needs the collector; an Error without it.
  #collector(what) {
    if (!this.#roots) throw new Error(`walloc: ${what} needs the garbage collector: instantiate with { gc: true }`);
    return this.#roots;
  }

  #createTiers({ reserveBytes, layout, names }) {
    const strings = [];
    if (layout) {
      layout.forEach(({ name, share, alignment }, i) => {
        const encoded = new TextEncoder().encode(`${name}\0`);
        const at = this.malloc(encoded.length);
        this.copyIn(at, encoded);
        strings.push(at);
        this.#exports.wjs_tier_config(i, at, share, alignment);
      });
    }
    // tierLayout has checked everything walloc_tiers_create checks, so only memory can be wanting.
    if (!this.#exports.wjs_tiers_create(reserveBytes, layout ? layout.length : 0)) {
      strings.forEach((at) => this.free(at));
      throw new RangeError(`walloc: cannot create tiers: out of memory for a reserve of ${reserveBytes} bytes`);
    }
    this.#tiers = names.map((name) => ({ name, blocks: [] }));
    this.#grown(0);
  }

  #tierIndex(tier) {
    integer(tier, 'tier');
    if (tier >= this.#tiers.length) throw new RangeError(`walloc: no tier ${tier} (the heap has ${this.#tiers.length})`);
    return tier;
  }

  #tierStats(index) {
    this.#exports.wjs_tier_stats(index);
    const w = this.#words(7);
    return {
      name: this.#tiers[index].name, used: w[0], capacity: w[1], highWater: w[2],
      totalAllocated: w[3], recycled: w[4], chunks: w[5], resets: w[6],
    };
  }

  // Forgets the blocks of a tier that end past `keep` (their memory was recycled), newest first.
  #dropTierBlocks(index, keep) {
    const { blocks } = this.#tiers[index];
    while (blocks.length > 0 && blocks[blocks.length - 1].end > keep) {
      const block = blocks.pop();
      if (this.#tierBlocks.get(block.ptr) === block) this.#tierBlocks.delete(block.ptr);
      if (block.asset !== null) this.#assets.delete(block.asset);
    }
  }

  #storeAsset(key, bytes) {
    const ptr = this.tierAlloc(TIER.SCENE, bytes.length);
    if (ptr === 0) throw new RangeError(`walloc: out of memory (asset ${key}, ${bytes.length} bytes)`);
    const block = this.#tierBlocks.get(ptr);
    new Uint8Array(this.#current(), ptr, bytes.length).set(bytes);
    block.asset = key;
    this.#assets.set(key, block);
  }

  #blockSize(ptr) {
    const block = this.#tierBlocks.get(ptr);
    if (block) return block.size;
    return (this.#roots && this.#exports.GC_size(ptr)) || this.usableSize(ptr);
  }

  /** The address `offset` bytes into the block at `ptr`, once `bytes` from there are proven to
   * lie inside it; a RangeError (TypeError for a non-integer offset) otherwise. */
  #checkRange(ptr, bytes, what, offset = 0) {
    integer(offset, 'offset');
    if (ptr === 0) throw new RangeError(`walloc: ${what} of the null pointer`);
    const size = this.#blockSize(ptr);
    // Written to fail for NaN as well: a range that cannot be proven inside is outside.
    if (!(offset + bytes <= size)) {
      const range = offset ? `${bytes} bytes at offset ${offset}` : `${bytes} bytes`;
      throw new RangeError(`walloc: ${what} of ${range} exceeds the ${size} usable bytes of the block at ${hex(ptr)}`);
    }
    return ptr + offset;
  }

  // Tier blocks are recycled whole and GC objects by the collector: neither is freed or resized alone.
  #mallocOnly(ptr, what) {
    if (this.#tierBlocks.has(ptr)) throw new Error(`walloc: ${what} of tier block ${hex(ptr)} (tiers are recycled whole)`);
    if (this.#roots && this.#exports.GC_size(ptr) !== 0) {
      throw new Error(`walloc: ${what} of GC object ${hex(ptr)} (the collector frees it once no root reaches it)`);
    }
  }
}

export default Walloc;
