// checks.mjs - the argument checks of walloc.mjs: every number bound for wasm, the element size
// of a view, the source of a copy, the tiers and gc options and gcAlloc's, each refused with a
// TypeError or RangeError that names it before anything reaches walloc.

export const MAX_U32 = 0xffffffff;
const MAX_ALIGNMENT = 2 ** 31;
const KIB = 1024;
const DEFAULT_TIER_NAMES = ['render', 'scene', 'entity'];
const DEFAULT_TIER_RESERVE = 1024 * KIB;
const MAX_TIERS = 8;
const DEFAULT_GC_ROOTS = 1024;
const MAX_GC_ROOTS = 2 ** 30 - 1; // 4 bytes a slot: the root table's size must fit 32 bits

export const hex = (n) => `0x${n.toString(16)}`;

// How a refused value reads in a message: strings quoted, BigInts marked, objects by kind.
export function describe(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

// Every number bound for a wasm i32 parameter passes through here first: wasm itself would take
// anything (ToInt32 makes NaN, null and undefined 0, 1.5 1, '8' 8, -1 0xffffffff) and walloc
// would act on a value other than the one the caller, and this wrapper, believe in. Not a number
// or not an integer (NaN, Infinity included) is a TypeError, a negative one a RangeError.
export function integer(value, what) {
  if (typeof value !== 'number') throw new TypeError(`walloc: ${what} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value)) throw new TypeError(`walloc: ${what} must be an integer, got ${describe(value)}`);
  if (value < 0) throw new RangeError(`walloc: ${what} must not be negative, got ${value}`);
  return value;
}

export function boolean(value, what) {
  if (typeof value !== 'boolean') throw new TypeError(`walloc: ${what} must be a boolean, got ${describe(value)}`);
  return value;
}

// An integer that must reach wasm whole: 2^32 + 8 would arrive as 8 in an i32. `max` is larger
// for a size_t of wasm64 (2^53 - 1: every number up to it reaches an i64 exactly).
export function u32(value, what, max = MAX_U32) {
  integer(value, what);
  if (value > max) throw new RangeError(`walloc: ${what} ${value} does not fit in ${max === MAX_U32 ? 32 : 53} bits`);
  return value;
}

// A pointer into a memory whose addresses end at `max`: 2^32 - 1, or 2^53 - 1 on wasm64.
export function pointer(value, what = 'pointer', max = MAX_U32) {
  integer(value, what);
  if (value > max) throw new RangeError(`walloc: ${what} ${hex(value)} lies outside ${max === MAX_U32 ? '32-bit' : 'the'} memory`);
  return value;
}

// The element size a view is checked with. Only 1, 2, 4 and 8 are real; NaN or a fraction
// (a subclass may say anything) would make the range check pass for any length.
export function elementSize(Ctor) {
  const size = Ctor?.BYTES_PER_ELEMENT;
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
    throw new TypeError(`walloc: view needs a typed array constructor (BYTES_PER_ELEMENT 1, 2, 4 or 8), got ${describe(size)}`);
  }
  return size;
}

export function bytesOf(source) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  throw new TypeError('walloc: copyIn needs an ArrayBuffer or a typed array / DataView');
}

// The tiers option, checked whole before anything is created. walloc_tiers_create refuses bad
// shares and alignments too, but only as they arrive: a share of 2^32 + 50 would reach it as
// 50 and an alignment of 2^32 + 8 as 8, so every value is proven to fit here first.
export function tierLayout(tiers, maxReserve = MAX_U32) {
  if (tiers === false) return null;
  if (tiers != null && typeof tiers !== 'object') {
    throw new TypeError(`walloc: tiers must be an object or false, got ${describe(tiers)}`);
  }
  const { reserveBytes = DEFAULT_TIER_RESERVE, layout } = tiers ?? {};
  u32(reserveBytes, 'tiers.reserveBytes', maxReserve);
  if (layout === undefined) return { reserveBytes, layout: null, names: DEFAULT_TIER_NAMES };
  if (!Array.isArray(layout)) throw new TypeError(`walloc: tiers.layout must be an array, got ${describe(layout)}`);
  if (layout.length === 0 || layout.length > MAX_TIERS) {
    throw new RangeError(`walloc: tiers.layout must list 1 to ${MAX_TIERS} tiers`);
  }
  const checked = layout.map(tierConfig);
  const total = checked.reduce((sum, tier) => sum + tier.share, 0);
  if (total > 100) throw new RangeError(`walloc: cannot create tiers: the shares of tiers.layout add up to ${total}, more than 100`);
  return { reserveBytes, layout: checked, names: checked.map((t) => t.name) };
}

// One entry of tiers.layout: a name, a share of 0..100 percent, an alignment that is a power of
// two up to 2^31 (walloc's limit; the next one, 2^32, would not even reach it).
function tierConfig(tier, i) {
  const field = `tiers.layout[${i}]`;
  if (typeof tier !== 'object' || tier === null) {
    throw new TypeError(`walloc: ${field} must be an object { name, share, alignment }, got ${describe(tier)}`);
  }
  const { name, share, alignment = 8 } = tier;
  if (typeof name !== 'string' || name === '') throw new TypeError(`walloc: ${field}.name must be a non-empty string`);
  integer(share, `${field}.share`);
  if (share > 100) throw new RangeError(`walloc: ${field}.share must be a percentage, 0 to 100, got ${share}`);
  integer(alignment, `${field}.alignment`);
  // The bit test needs alignment <= 2^31, where & still sees all of it; the || tests that first.
  if (alignment === 0 || alignment > MAX_ALIGNMENT || (alignment & (alignment - 1)) !== 0) {
    throw new RangeError(`walloc: ${field}.alignment must be a power of two up to 2^31, got ${alignment}`);
  }
  return { name, share, alignment };
}

// The gc option: absent or false for no collector, true for DEFAULT_GC_ROOTS root slots, or
// { roots } for 1 to MAX_GC_ROOTS of them. Null when the heap has no collector.
export function gcOption(gc) {
  if (gc === undefined || gc === false) return null;
  if (gc === true) return { roots: DEFAULT_GC_ROOTS };
  if (typeof gc !== 'object' || gc === null) {
    throw new TypeError(`walloc: gc must be a boolean or an object { roots }, got ${describe(gc)}`);
  }
  const { roots = DEFAULT_GC_ROOTS } = gc;
  integer(roots, 'gc.roots');
  if (roots < 1 || roots > MAX_GC_ROOTS) throw new RangeError(`walloc: gc.roots must be 1 to ${MAX_GC_ROOTS}, got ${roots}`);
  return { roots };
}

// gcAlloc's options, { atomic }: whether the object is never scanned. A truthy non-boolean is
// refused rather than guessed at: the kind decides what keeps other objects alive.
export function atomicOption(options) {
  if (options === undefined) return false;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`walloc: gcAlloc options must be an object { atomic }, got ${describe(options)}`);
  }
  const { atomic = false } = options;
  if (typeof atomic !== 'boolean') throw new TypeError(`walloc: gcAlloc options.atomic must be a boolean, got ${describe(atomic)}`);
  return atomic;
}
