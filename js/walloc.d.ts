// Types for walloc.mjs. Pointers are byte offsets into the heap's WebAssembly.Memory.

export type Pointer = number;

/** Tier indices of the default layout. */
export declare const TIER: Readonly<{ RENDER: 0; SCENE: 1; ENTITY: 2 }>;

/** Codes of memoryMap(): who owns each 4 KiB slice of linear memory. */
export declare const SLICE: Readonly<{ UNUSED: 0; STATIC: 1; META: 2; FREE: 3; SMALL: 4; LARGE: 5; TIER: 6 }>;

export interface TierConfig {
  name: string;
  /** Percent of reserveBytes the tier starts with; all shares add up to 100 or less. */
  share: number;
  /** A power of two; default 8. */
  alignment?: number;
}

export interface WallocOptions {
  /** Cap on linear memory in bytes (rounded down to 64 KiB pages). */
  maxBytes?: number;
  /** A (non-shared) memory to use instead of a new one; walloc's static data takes its first ~70 KiB. */
  memory?: WebAssembly.Memory;
  /** Tier reserve and layout (default: 1 MiB, RENDER 50 % / SCENE 30 % / ENTITY 20 %), or false for none. */
  tiers?: false | { reserveBytes?: number; layout?: TierConfig[] };
  /** Exhaustion throws RangeError (default) or returns 0. */
  throwOnOOM?: boolean;
  /** walloc.wasm compiled already, or where to fetch it (default: next to walloc.mjs). */
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
  memoryBytes: number;
  pages: number;
  tierBytes: number;
  tiers: TierStats[];
}

export interface TierMark {
  readonly tier: number;
  readonly offset: number;
  readonly generation: number;
}

type TypedArrayConstructor<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

export declare class Walloc {
  static readonly TIER: typeof TIER;
  static readonly SLICE: typeof SLICE;
  static instantiate(options?: WallocOptions): Promise<Walloc>;

  readonly memory: WebAssembly.Memory;
  /** The memory's current ArrayBuffer; replaced (the old one detached) whenever memory grows. */
  readonly buffer: ArrayBuffer;

  malloc(size: number): Pointer;
  calloc(count: number, size: number): Pointer;
  realloc(ptr: Pointer, size: number): Pointer;
  free(ptr: Pointer): void;
  usableSize(ptr: Pointer): number;
  setLimit(bytes: number): number;
  check(): void;
  onGrow(listener: (event: { buffer: ArrayBuffer; bytes: number }) => void): () => boolean;

  /** `offset`: bytes into the block where the view, copy or fill starts (default 0). */
  view(ptr: Pointer, length: number): Uint8Array;
  view<T>(ptr: Pointer, length: number, Ctor: TypedArrayConstructor<T>, offset?: number): T;
  copyIn(ptr: Pointer, source: ArrayBuffer | ArrayBufferView, offset?: number): void;
  copyOut(ptr: Pointer, length: number, offset?: number): Uint8Array;
  fill(ptr: Pointer, byte: number, n: number, offset?: number): void;
  copy(dst: Pointer, src: Pointer, n: number, dstOffset?: number, srcOffset?: number): void;

  tierAlloc(tier: number, size: number): Pointer;
  tierReset(tier: number): void;
  tierCompact(tier: number, keep: number): void;
  tierMark(tier: number): TierMark;
  tierRelease(mark: TierMark): void;

  loadAsset(url: string | URL): Promise<Uint8Array>;
  getAsset(url: string | URL): Uint8Array;
  evictAsset(url: string | URL): Record<string, Uint8Array>;
  assets(): string[];

  stats(): WallocStats;
  memoryMap(): Uint8Array;
}

export default Walloc;
