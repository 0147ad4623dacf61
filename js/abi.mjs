// abi.mjs - where walloc.mjs meets the module: its memory (32-bit, or 64-bit for walloc64.wasm)
// and its exports, turned into functions that take and return plain numbers on both. On wasm64
// a pointer or size_t is an i64, which JavaScript passes as a BigInt: the numbers go in as
// BigInts and come out as numbers, exact below 2^53 (the checks of walloc.mjs keep them there).
// On wasm32 the exports are used as they are, an unsigned result made unsigned (`>>> 0`).

const WASM_PAGE_BYTES = 65536;

/** Compiles a walloc module from a URL: read from disk for file: URLs (node), fetched otherwise. */
export async function compileFrom(url) {
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`walloc: cannot load ${url}: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * For each kind of memory: the largest number a pointer or size may be, the most pages it can
 * have (walloc's ceiling of 1 TiB on wasm64) and the pages it starts with. js.mk links the
 * modules with --initial-memory: static data and stack fit in two pages on wasm32, three on
 * wasm64, and a memory handed in must have at least these.
 */
export function addressLimits(memory64) {
  return memory64 ? { maxAddress: Number.MAX_SAFE_INTEGER, maxPages: 2 ** 24, initialPages: 3 }
    : { maxAddress: 0xffffffff, maxPages: 65536, initialPages: 2 };
}

// The types of the exports walloc.mjs calls, as the C declares them (js/glue.c, js/glue-gc.c,
// include/walloc.h): one letter per parameter, then ':' and the result. p: a pointer or size_t
// (i64 on wasm64), i: an int, u: an unsigned 32-bit int, v: nothing.
const SIGNATURES = {
  walloc_malloc: 'p:p', walloc_free: 'p:v', walloc_calloc: 'pp:p', walloc_realloc: 'pp:p',
  walloc_malloc_usable_size: 'p:p', walloc_check: ':i', walloc_last_error: ':p',
  wjs_scratch: ':p', wjs_stats: ':v', wjs_set_limit_pages: 'u:u', wjs_fill: 'pip:v', wjs_copy: 'ppp:v',
  wjs_map_capacity: ':u', wjs_memory_map: 'uu:p', wjs_tier_config: 'upup:v', wjs_tiers_create: 'pu:i',
  wjs_tier_alloc: 'up:p', wjs_tier_reset: 'u:v', wjs_tier_compact: 'up:i', wjs_tier_mark: 'u:v',
  wjs_tier_release: 'upu:i', wjs_tier_stats: 'u:v',
  GC_malloc: 'p:p', GC_malloc_atomic: 'p:p', GC_size: 'p:p', GC_gcollect: ':v',
  wjs_gc_start: 'u:i', wjs_gc_set_root: 'up:p', wjs_gc_stats: ':v',
};

const unsigned64 = (value) => Number(BigInt.asUintN(64, value));
const unsigned32 = (value) => value >>> 0;
const wide = (value) => BigInt(value);
const same = (value) => value;

// fn with each argument passed through its conversion in `convert` and the result through `out`,
// written out per arity: no rest arguments or spread on calls that copyIn and view make per use.
function wrap(fn, convert, out) {
  const [c0, c1, c2, c3] = convert;
  switch (convert.length) {
    case 0: return () => out(fn());
    case 1: return (a) => out(fn(c0(a)));
    case 2: return (a, b) => out(fn(c0(a), c1(b)));
    case 3: return (a, b, c) => out(fn(c0(a), c1(b), c2(c)));
    default: return (a, b, c, d) => out(fn(c0(a), c1(b), c2(c), c3(d)));
  }
}

function bind(fn, signature, memory64) {
  const [params, result] = signature.split(':');
  const out = result === 'p' ? (memory64 ? unsigned64 : unsigned32) : result === 'u' ? unsigned32 : same;
  if (!memory64 && out === same) return fn; // nothing to convert: the export itself
  return wrap(fn, [...params].map((kind) => (kind === 'p' && memory64 ? wide : same)), out);
}

/** The module's exports as walloc.mjs calls them (the others, e.g. __stack_pointer, as they are). */
export function bindExports(exports, memory64) {
  const bound = { ...exports };
  for (const [name, signature] of Object.entries(SIGNATURES)) {
    if (typeof exports[name] === 'function') bound[name] = bind(exports[name], signature, memory64);
  }
  return bound;
}

function newMemory(pages, memory64) {
  return memory64 ? new WebAssembly.Memory({ initial: BigInt(pages), address: 'i64' }) : new WebAssembly.Memory({ initial: pages });
}

/**
 * Instantiates `module` with `memory` (or a new one), grown to the initial pages of its kind if
 * smaller. `memory64` says which kind of module it is; undefined finds out (a module that does
 * not link with a 32-bit memory gets a 64-bit one; a memory given decides). Resolves to
 * { instance, memory, memory64 }.
 */
export async function instantiateWith(module, memory, memory64) {
  if (memory64 === undefined && memory === undefined) {
    try {
      return await instantiateWith(module, undefined, false);
    } catch (error) {
      if (!(error instanceof WebAssembly.LinkError)) throw error;
      return instantiateWith(module, undefined, true);
    }
  }
  const { initialPages } = addressLimits(memory64);
  const given = memory ?? newMemory(initialPages, memory64);
  const pages = given.buffer.byteLength / WASM_PAGE_BYTES;
  if (pages < initialPages) {
    const more = initialPages - pages;
    try {
      given.grow(more);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      given.grow(BigInt(more)); // a 64-bit memory counts its pages in BigInts
    }
  }
  const instance = await WebAssembly.instantiate(module, { env: { memory: given } });
  const wide = memory64 ?? typeof instance.exports.wjs_scratch() === 'bigint';
  return { instance, memory: given, memory64: wide };
}

/** `count` scratch words at `at` (32 bits each on wasm32, 64 on wasm64) as numbers. */
export function readWords(buffer, at, count, memory64) {
  return memory64 ? Array.from(new BigUint64Array(buffer, at, count), Number) : new Uint32Array(buffer, at, count);
}
