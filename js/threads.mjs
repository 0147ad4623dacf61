// threads.mjs - one walloc heap on a shared WebAssembly.Memory, used at once from the main thread
// and any number of workers (node worker_threads, Web Workers): WallocThreads, a Walloc over
// walloc-threads.wasm, the threads build (src/threads.h). Every thread instantiates the module on
// the one memory and gets a stack and thread-local block of its own (glue-threads.c), so each has
// its own heap object; the heap behind them is one, and a pointer allocated in one thread may be
// used and freed in any other. Browsers share memory only with a cross-origin isolated page
// (COOP/COEP headers, as demo/serve.mjs sends).
//
// What differs from Walloc: no tiers, asset cache or collector (their bookkeeping is per object;
// the tier methods find no tier and the gc methods no collector); views stay valid while memory
// grows, since a shared buffer never detaches; and a misuse report stops the heap (#stop).

import { compileFrom } from './abi.mjs';
import { describe, hex, integer, pointer } from './checks.mjs';
import { Walloc } from './walloc.mjs';

const WASM_PAGE_BYTES = 65536;
// js.mk links walloc-threads.wasm with --initial-memory of 3 pages and --max-memory of 4 GiB: the
// shared memory must start with the one and may declare a maximum up to the other.
const INITIAL_PAGES = 3;
const MAX_PAGES = 65536;
const DEFAULT_MAXIMUM_BYTES = 2 ** 30;
// A thread's stack. The module runs walloc alone, whose calls take little stack, but the area
// holding stack and thread-local block must be a large block (over 64 KiB in all) for the thread
// to free it on its way out while running on it (wjs_thread_exit, glue-threads.c).
const STACK_BYTES = 65536;
// handoff() writes UNJOINED into the first word of the area (the far end of the stack, which
// walloc's shallow calls never reach) and join() swaps it out: one handoff starts one thread.
const UNJOINED = 0x57544852;
const JOINED = 0;

let defaultModule;

// The NUL-terminated string at `at` of a shared memory. TextDecoder refuses views of shared
// buffers, hence the copy (slice).
function cString(memory, at) {
  const bytes = new Uint8Array(memory.buffer);
  return new TextDecoder().decode(bytes.slice(at, bytes.indexOf(0, at)));
}

function isShared(memory) {
  return memory instanceof WebAssembly.Memory && typeof SharedArrayBuffer === 'function' &&
    memory.buffer instanceof SharedArrayBuffer;
}

/**
 * A walloc heap on a shared memory, one object per thread. Create the first with
 * `await WallocThreads.instantiate(options)`, then for each worker `heap.handoff()` (posted to
 * it) and, in the worker, `await WallocThreads.join(handoff)`.
 */
export class WallocThreads extends Walloc {
  #exports;
  #module;
  #area; // this thread's stack and thread-local block; 0 for the first thread, whose are static
  #stop; // an Int32Array over glue-threads.c's stop word
  #exited = false;

  /** Use WallocThreads.instantiate() or WallocThreads.join(); the constructor is internal. */
  constructor(instance, memory, module, area, throwOnOOM) {
    super(instance, memory, false, { throwOnOOM, fetch: (url) => fetch(url) });
    this.#exports = instance.exports;
    this.#module = module;
    this.#area = area;
    this.#stop = new Int32Array(memory.buffer, this.#exports.wjs_stop_word(), 1);
  }

  /**
   * Compiles (once) walloc-threads.wasm, creates its shared memory and makes the calling thread
   * the heap's first. Options: maximumBytes (the memory's fixed maximum, rounded down to 64 KiB:
   * 192 KiB to 4 GiB, default 1 GiB; engines reserve it up front, so a heap cannot outgrow it),
   * maxBytes (a cap below that, as setLimit takes it), throwOnOOM (default true), module (a
   * WebAssembly.Module or URL of walloc-threads.wasm). A value of the wrong type rejects with a
   * TypeError, one out of range with a RangeError; so do the options WallocThreads lacks (tiers,
   * gc, memory64, memory) and another build's module. In a page that is not cross-origin
   * isolated it rejects with an Error: no shared memory there.
   */
  static async instantiate(options = {}) {
    const { maximumBytes = DEFAULT_MAXIMUM_BYTES, maxBytes, throwOnOOM = true, module: source } = options;
    for (const name of ['tiers', 'gc', 'memory64', 'memory']) {
      if (options[name] !== undefined && options[name] !== false) {
        throw new TypeError(`walloc: WallocThreads has no ${name} option (got ${describe(options[name])})`);
      }
    }
    const pages = Math.floor(integer(maximumBytes, 'maximumBytes') / WASM_PAGE_BYTES);
    if (pages < INITIAL_PAGES || pages > MAX_PAGES) {
      throw new RangeError(`walloc: maximumBytes must be ${INITIAL_PAGES * WASM_PAGE_BYTES} to 2^32, got ${maximumBytes}`);
    }
    if (maxBytes !== undefined) integer(maxBytes, 'maxBytes');
    if (globalThis.crossOriginIsolated === false) {
      throw new Error('walloc: WallocThreads needs shared memory, which a page has only when cross-origin isolated (COOP/COEP headers)');
    }
    let module;
    if (source instanceof WebAssembly.Module) module = source;
    else if (source !== undefined) module = await compileFrom(new URL(source, import.meta.url));
    else module = await (defaultModule ??= compileFrom(new URL('./walloc-threads.wasm', import.meta.url)));
    if (!WebAssembly.Module.exports(module).some(({ name }) => name === 'wjs_stop_word')) {
      throw new TypeError('walloc: WallocThreads needs walloc-threads.wasm; the module given is another build');
    }
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: pages, shared: true });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    if (instance.exports.first_thread_init() !== 0) throw new Error('walloc: the module\'s thread-local block outgrew its first thread\'s');
    const heap = new WallocThreads(instance, memory, module, 0, throwOnOOM);
    if (maxBytes !== undefined) heap.setLimit(maxBytes);
    return heap;
  }

  /**
   * Makes the calling thread (a worker) a thread of the heap a handoff came from, on its own
   * stack and thread-local block; resolves to its heap object. Each handoff starts one thread: a
   * second join of it rejects with an Error, as does a join once the heap stopped. A handoff
   * that is not one (not an object, no module or shared memory, an area that is not an integer
   * in the memory) rejects with a TypeError or RangeError. Options: throwOnOOM (default true).
   */
  static async join(handoff, { throwOnOOM = true } = {}) {
    if (typeof handoff !== 'object' || handoff === null) {
      throw new TypeError(`walloc: join needs a handoff from WallocThreads.handoff(), got ${describe(handoff)}`);
    }
    const { module, memory, area } = handoff;
    if (!(module instanceof WebAssembly.Module)) throw new TypeError('walloc: handoff.module must be a WebAssembly.Module');
    if (!isShared(memory)) throw new TypeError('walloc: handoff.memory must be a shared WebAssembly.Memory');
    pointer(area, 'handoff.area');
    if (area === 0 || area % 16 !== 0 || area + STACK_BYTES > memory.buffer.byteLength) {
      throw new RangeError(`walloc: handoff.area ${hex(area)} is no thread area of this memory`);
    }
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    if (!instance.exports.wjs_stop_word) throw new TypeError('walloc: handoff.module is not walloc-threads.wasm');
    if (Atomics.load(new Int32Array(memory.buffer, instance.exports.wjs_stop_word(), 1), 0) !== 0) {
      throw new Error(`walloc: the heap stopped after a report: ${cString(memory, instance.exports.walloc_last_error())}`);
    }
    if (Atomics.compareExchange(new Int32Array(memory.buffer), area / 4, UNJOINED, JOINED) !== UNJOINED) {
      throw new Error(`walloc: the handoff of area ${hex(area)} was joined already (one handoff per thread)`);
    }
    const top = area + STACK_BYTES;
    instance.exports.__stack_pointer.value = top;
    instance.exports.thread_init(top);
    return new WallocThreads(instance, memory, module, area, throwOnOOM);
  }

  /**
   * What a worker needs to join the heap: { module, memory, area }, for postMessage (a module
   * and a shared memory go to a worker whole). It allocates the new thread's stack and
   * thread-local block, 64 KiB and a few more, which the thread frees in exitThread; a handoff
   * never joined keeps them. RangeError when memory runs out.
   */
  handoff() {
    this.#enter();
    const area = this.#exports.thread_area(STACK_BYTES) >>> 0;
    if (area === 0) throw new RangeError(`walloc: out of memory for a thread's stack of ${STACK_BYTES} bytes`);
    Atomics.store(new Int32Array(this.memory.buffer), area / 4, UNJOINED);
    return { module: this.#module, memory: this.memory, area };
  }

  /**
   * Ends this thread's use of the heap: the blocks its cache holds go back to the heap (until
   * then the stats count them free, but only this thread reuses them) and a worker's stack
   * and thread-local block are freed. Call it when a thread stops allocating; every call on this
   * object after it throws an Error (other threads go on). A second call does nothing; so does
   * one on a stopped heap, which no thread may enter. A worker ended without it keeps its stack,
   * thread-local block and cached blocks from the heap for good.
   */
  exitThread() {
    if (this.#exited) return;
    this.#exited = true;
    if (!this.stopped) this.#exports.wjs_thread_exit(this.#area);
  }

  /** Whether a misuse report (a double or invalid free, in any thread) stopped the heap. */
  get stopped() { return Atomics.load(this.#stop, 0) !== 0; }

  // ---- the calls that enter the module, guarded ----
  //
  // A report (walloc: double free of 0x...) traps inside walloc, maybe holding its lock, and
  // after it walloc reports nothing more (the first report is the one kept). The call that
  // trapped throws walloc's Error as Walloc does, and sets the stop word; from then on every
  // call on every thread throws an Error naming the report instead of entering the module,
  // where it could wait for that lock forever. A call already waiting for the lock when the
  // report came may never return: end such a worker (terminate()).

  malloc(size) { return this.#call(() => super.malloc(size)); }
  calloc(count, size) { return this.#call(() => super.calloc(count, size)); }
  realloc(ptr, size) { return this.#call(() => super.realloc(ptr, size)); }
  free(ptr) { this.#call(() => super.free(ptr)); }
  setLimit(bytes) { return this.#call(() => super.setLimit(bytes)); }
  check() { this.#call(() => super.check()); }
  stats() { return this.#call(() => super.stats()); }
  memoryMap() { return this.#call(() => super.memoryMap()); }

  /**
   * The usable size of a live malloc block (0 for 0); an Error for a pointer that starts none,
   * without a report: the heap goes on. Views and copies check their pointers with it.
   */
  usableSize(ptr) {
    this.#enter();
    if (pointer(ptr, 'pointer') === 0) return 0;
    const size = this.#exports.wjs_live_size(ptr) >>> 0;
    if (size === 0) throw new Error(`walloc: ${hex(ptr)} is not the start of a live block`);
    return size;
  }

  #enter() {
    if (this.#exited) throw new Error('walloc: this thread has left the heap (exitThread)');
    if (this.stopped) {
      throw new Error(`walloc: the heap stopped after a report: ${cString(this.memory, this.#exports.walloc_last_error())}`);
    }
  }

  #call(fn) {
    this.#enter();
    try {
      return fn();
    } catch (error) {
      // Walloc turns a trap into an Error whose cause is the RuntimeError; a trap it does not
      // catch arrives as the RuntimeError itself. Either may have left the lock taken.
      if (error instanceof WebAssembly.RuntimeError || error?.cause instanceof WebAssembly.RuntimeError) {
        Atomics.store(this.#stop, 0, 1);
      }
      throw error;
    }
  }
}

export default WallocThreads;
