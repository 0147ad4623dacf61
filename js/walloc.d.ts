// Types for the package (index.mjs: walloc.mjs, and threads.mjs for WallocThreads). Pointers are
// byte offsets into the heap's WebAssembly.Memory.
//
// Numbers are checked at run time before they reach wasm, which would wrap them to 32 bits
// (NaN -> 0, 2^32 + 8 -> 8, -1 -> 0xffffffff, 1.5 -> 1): a value that is not a number or not an
// integer (NaN and Infinity included) throws a TypeError; a negative one, or one past 32 bits
// where 32 bits are all there is (pointers, offsets of marks, tiers.reserveBytes), a RangeError.
// A refused call changes nothing. A size past 32 bits is instead a request that cannot be met:
// out of memory, which returns 0 or throws a RangeError as `throwOnOOM` says. On wasm64
// (`memory64: true`) "32 bits" reads "53 bits": pointers and sizes stay numbers, exact to 2^53.

export type Pointer = number;

/** Tier indices of the default layout. */
export declare const TIER: Readonly<{ RENDER: 0; SCENE: 1; ENTITY: 2 }>;

/** Codes of memoryMap(): who owns each 4 KiB slice of linear memory (GC: a span of the garbage collector). */
export declare const SLICE: Readonly<{ UNUSED: 0; STATIC: 1; META: 2; FREE: 3; SMALL: 4; LARGE: 5; TIER: 6; GC: 7 }>;

export interface TierConfig {
  /** A non-empty string (TypeError otherwise). */
  name: string;
  /**
   * Percent of reserveBytes the tier starts with: an integer 0..100 (TypeError if not an
   * integer, RangeError past 100); all shares add up to 100 or less (RangeError otherwise).
   */
  share: number;
  /** A power of two up to 2^31; default 8. TypeError if not an integer, RangeError otherwise. */
  alignment?: number;
}

export interface WallocOptions {
  /** Cap on linear memory in bytes (rounded down to 64 KiB pages), as Walloc.setLimit takes it. */
  maxBytes?: number;
  /** A (non-shared) memory to use instead of a new one; walloc's static data takes its first ~70 KiB. */
  memory?: WebAssembly.Memory;
  /**
   * Tier reserve and layout (default: 1 MiB, RENDER 50 % / SCENE 30 % / ENTITY 20 %), or false
   * for none. reserveBytes: an integer 0..2^32-1 (TypeError if not an integer, RangeError past
   * 32 bits); layout: 1 to 8 tiers. Errors name the field, e.g. `tiers.layout[0].share`.
   */
  tiers?: false | { reserveBytes?: number; layout?: TierConfig[] };
  /**
   * The garbage collector (the gc* methods), from walloc-gc.wasm, about 15 KB larger than
   * walloc.wasm: true for 1024 root slots, or { roots } for 1..2^30-1 of them (TypeError if not an
   * integer, RangeError otherwise). Absent or false: no collector, and walloc.wasm is loaded.
   */
  gc?: boolean | { roots?: number };
  /**
   * true: the wasm64 build (walloc64.wasm, a 64-bit memory) whose heap grows past 4 GiB, as far
   * as the engine allows (16 GiB in V8; node >= 24, Chromium; no `gc` yet, a TypeError). Absent:
   * detected from `module` or `memory`, else wasm32. Not a boolean: TypeError.
   */
  memory64?: boolean;
  /** Exhaustion throws RangeError (default) or returns 0. */
  throwOnOOM?: boolean;
  /**
   * walloc.wasm compiled already, or where to fetch it (default: next to walloc.mjs); with `gc`,
   * walloc-gc.wasm (another module is a TypeError).
   */
  module?: WebAssembly.Module | string | URL;
  /** Used by loadAsset (default: globalThis.fetch). */
  fetch?: (url: string) => Promise<Response>;
}

export interface TierStats {
  name: string;
  used: number;
  capacity: number;
  highWater: number;
  totalAllocated: number;
  recycled: number;
  chunks: number;
  resets: number;
}

export interface WallocStats {
  heapBytes: number;
  liveBytes: number;
  peakLiveBytes: number;
  freeBytes: number;
  metaBytes: number;
  allocCount: number;
  freeCount: number;
  growCount: number;
  /** The memory's exact size in bytes, up to 2^32 (not clamped to 2^32 - 1 as in C). */
  memoryBytes: number;
  /** memoryBytes / 65536: always an integer, up to 65536. */
  pages: number;
  tierBytes: number;
  /** Pages held by the garbage collector's spans (0 while the collector is not in use). */
  gcBytes: number;
  tiers: TierStats[];
}

/** The collector's figures, from Walloc.gcStats(). */
export interface GcStats {
  /** Bytes of the collector's spans (stats().gcBytes). */
  heapBytes: number;
  /** Free bytes inside those spans. */
  freeBytes: number;
  /** Bytes allocated since the heap was created. */
  totalBytes: number;
  /** Bytes allocated since the last collection. */
  bytesSinceGC: number;
  collections: number;
  /** Root slots: gcSetRoot takes 0 to roots - 1. */
  roots: number;
}

/**
 * A position in a tier, from Walloc.tierMark. tierRelease checks every field before it reaches
 * wasm: a tier that is not a tier index, an offset or generation that is not an integer
 * 0..2^32-1 (missing, NaN, null, 1.5, -1, 2^32 ...) throws a TypeError or RangeError and
 * recycles nothing.
 */
export interface TierMark {
  readonly tier: number;
  readonly offset: number;
  readonly generation: number;
}

type TypedArrayConstructor<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

/**
 * One walloc heap. Every numeric argument is validated as the header says: TypeError for a
 * value that is not an integer number, RangeError for one out of range, and nothing changes.
 */
export declare class Walloc {
  static readonly TIER: typeof TIER;
  static readonly SLICE: typeof SLICE;
  /** Rejects with TypeError / RangeError for malformed options (see WallocOptions), before creating anything. */
  static instantiate(options?: WallocOptions): Promise<Walloc>;

  readonly memory: WebAssembly.Memory;
  /** The memory's current ArrayBuffer; replaced (the old one detached) whenever memory grows. */
  readonly buffer: ArrayBuffer;

  /** `size`: an integer >= 0; past 2^32 - 1 it is out of memory (0 or RangeError). */
  malloc(size: number): Pointer;
  /** `count`, `size`: integers >= 0; either past 2^32 - 1, or their product, is out of memory. */
  calloc(count: number, size: number): Pointer;
  /** `ptr`: 0 or a live malloc block (0..2^32-1, RangeError outside); `size` as malloc's. */
  realloc(ptr: Pointer, size: number): Pointer;
  /** `ptr`: 0 or a live malloc block; a pointer that is not one throws walloc's Error. */
  free(ptr: Pointer): void;
  usableSize(ptr: Pointer): number;
  /**
   * Caps linear memory at `bytes` (an integer >= 0) rounded down to 64 KiB; any cap of 2^32
   * or more is wasm32's whole 4 GiB. Returns the previous cap, 2^32 for a heap never capped.
   */
  setLimit(bytes: number): number;
  check(): void;
  onGrow(listener: (event: { buffer: ArrayBuffer; bytes: number }) => void): () => boolean;

  /**
   * `offset`: bytes into the block where the view, copy or fill starts (default 0). Lengths and
   * offsets are integers >= 0 and the whole range must lie in the block (RangeError otherwise).
   * `Ctor`: a typed array constructor with BYTES_PER_ELEMENT 1, 2, 4 or 8 (TypeError otherwise).
   */
  view(ptr: Pointer, length: number): Uint8Array;
  view<T>(ptr: Pointer, length: number, Ctor: TypedArrayConstructor<T>, offset?: number): T;
  copyIn(ptr: Pointer, source: ArrayBuffer | ArrayBufferView, offset?: number): void;
  copyOut(ptr: Pointer, length: number, offset?: number): Uint8Array;
  /** `byte`: an integer 0..255 (TypeError if not an integer, RangeError otherwise). */
  fill(ptr: Pointer, byte: number, n: number, offset?: number): void;
  copy(dst: Pointer, src: Pointer, n: number, dstOffset?: number, srcOffset?: number): void;

  /** `tier`: an index of this heap's tiers (TypeError if not an integer, RangeError otherwise). `size` as malloc's. */
  tierAlloc(tier: number, size: number): Pointer;
  tierReset(tier: number): void;
  /** `keep`: an integer 0..the tier's `used` (RangeError beyond; nothing is recycled then). */
  tierCompact(tier: number, keep: number): void;
  tierMark(tier: number): TierMark;
  /** A malformed mark throws TypeError / RangeError (see TierMark); a stale one an Error. Either way nothing is recycled. */
  tierRelease(mark: TierMark): void;

  loadAsset(url: string | URL): Promise<Uint8Array>;
  getAsset(url: string | URL): Uint8Array;
  evictAsset(url: string | URL): Record<string, Uint8Array>;
  assets(): string[];

  /**
   * The garbage collector, on a heap instantiated with `gc` (an Error otherwise). The collector
   * sees only root slots and the words of scanned objects they reach, never a number JavaScript
   * holds: an object must be rooted (gcSetRoot) or stored in a rooted scanned object before the
   * next gcAlloc, which may collect it. A collected object's views are dead.
   *
   * gcAlloc: a zeroed object, scanned at each aligned 32-bit word unless `atomic` (TypeError for
   * options that are not { atomic?: boolean }); `size` as malloc's, out of memory after a
   * collection. free, realloc and usableSize refuse GC objects; view and the copies take them.
   */
  gcAlloc(size: number, options?: { atomic?: boolean }): Pointer;
  /** `slot`: 0..gcStats().roots - 1; `ptr`: 0 (empties it) or a live GC object's start; else RangeError. Returns what the slot held. */
  gcSetRoot(slot: number, ptr: Pointer): Pointer;
  gcCollect(): void;
  /** The usable size of the live GC object starting at `ptr`, else 0. */
  gcSize(ptr: Pointer): number;
  gcStats(): GcStats;

  stats(): WallocStats;
  memoryMap(): Uint8Array;
}

/** What a worker needs to join a WallocThreads heap, from handoff(): post it to the worker whole. */
export interface ThreadHandoff {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Where the new thread's stack and thread-local block lie; join checks it. */
  readonly area: Pointer;
}

export interface WallocThreadsOptions {
  /**
   * The shared memory's fixed maximum in bytes, rounded down to 64 KiB: 192 KiB to 2^32, default
   * 1 GiB (TypeError if not an integer, RangeError otherwise). Engines reserve it up front.
   */
  maximumBytes?: number;
  /** A cap below the maximum, as Walloc.setLimit takes it. */
  maxBytes?: number;
  /** Exhaustion throws RangeError (default) or returns 0. */
  throwOnOOM?: boolean;
  /** walloc-threads.wasm compiled already, or where to fetch it (another build is a TypeError). */
  module?: WebAssembly.Module | string | URL;
  /** Not available on a shared heap: anything but false (or absent) is a TypeError. */
  tiers?: false;
  gc?: false;
  memory64?: false;
}

/**
 * One walloc heap on a shared memory, used at once by the main thread and workers: one object
 * per thread, one heap behind them; a pointer from any thread may be used and freed in any
 * other. No tiers, asset cache or collector. Views stay valid while memory grows (a shared buffer
 * never detaches). A misuse report (a double or invalid free) throws walloc's Error in the thread
 * that made it and stops the heap: every later call on every thread throws an Error naming it.
 * usableSize, views and copies refuse a pointer that starts no live block with an Error and no
 * report. In browsers the page must be cross-origin isolated (COOP/COEP).
 */
export declare class WallocThreads extends Walloc {
  /** The heap and the calling thread's object; rejects as WallocThreadsOptions says. */
  static instantiate(options?: WallocThreadsOptions): Promise<WallocThreads>;
  /** In a worker: its object of the heap `handoff` came from. One join per handoff (an Error after). */
  static join(handoff: ThreadHandoff, options?: { throwOnOOM?: boolean }): Promise<WallocThreads>;
  /** Allocates a new thread's stack and thread-local block; post the result to one worker. */
  handoff(): ThreadHandoff;
  /** Gives this thread's cached blocks (and a worker's stack) back; the object is unusable after. */
  exitThread(): void;
  /** Whether a misuse report stopped the heap. */
  readonly stopped: boolean;
}

export default Walloc;
