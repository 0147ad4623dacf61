// Startup of the freestanding build on a memory the host hands in (tests/freestanding/startup.c):
//   node tests/freestanding/startup.mjs CLANG build/wasm32/libwalloc.a OUT_DIR
// 1. Memory above __heap_base full of garbage before the first call: calloc must still return
//    zeros, from the small, medium and large paths.
// 2. __heap_base placed (by relinking with a stack size computed from a first link) so that
//    exactly one 4 KiB slice lies between it and the end of the initial memory: too little for
//    the heap's own meta slices, so walloc skips it, and walloc_check must find the heap
//    consistent.
// Prints `N passed, M failed`.
import { execFileSync } from 'node:child_process';
import { instantiateFreestanding } from '../host/freestanding.mjs';

const [clang, library, outDir] = process.argv.slice(2);
const SOURCE = new URL('./startup.c', import.meta.url).pathname;
const INCLUDE = new URL('../../include', import.meta.url).pathname;
const PAGE = 65536;
const SLICE = 4096;
const INITIAL_PAGES = 4;

let passed = 0, failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}

// -fno-builtin: clang otherwise drops a malloc whose block is only freed, and walloc is never
// called at all.
function link(out, stackSize) {
  execFileSync(clang, ['--target=wasm32', '-O2', '-fno-builtin', '-nostdlib', '-mbulk-memory', `-I${INCLUDE}`,
    '-Wl,--no-entry', '-Wl,--import-memory', `-Wl,--initial-memory=${INITIAL_PAGES * PAGE}`,
    '-Wl,--export=__heap_base', `-Wl,-z,stack-size=${stackSize}`, SOURCE, library, '-o', out],
  { stdio: 'inherit' });
  return out;
}

async function start(path, { garbage = false } = {}) {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES });
  const { exports } = await instantiateFreestanding(path, { imports: { env: { memory } } });
  const heapBase = exports.__heap_base.value;
  if (garbage) new Uint8Array(memory.buffer).fill(0xa5, heapBase);
  return { exports, heapBase };
}

const probe = link(`${outDir}/startup-probe.wasm`, PAGE);

{
  const { exports } = await start(probe, { garbage: true });
  for (const size of [16, 100, 900, 3000, 20000, 70000, 150000]) {
    check(`calloc(${size}) on a dirty handed-in memory is zero`, exports.calloc_is_zero(size) === 1);
  }
  check('heap consistent after callocs on a dirty memory', exports.first_calls_check() === 0);
}

{
  const { heapBase } = await start(probe);
  const end = INITIAL_PAGES * PAGE;
  // Rounded up to a slice, __heap_base must land one slice before the end of initial memory.
  const target = end - SLICE - 64;
  const path = link(`${outDir}/startup-one-slice.wasm`, PAGE + target - heapBase);
  const { exports, heapBase: placed } = await start(path);
  const room = end - Math.ceil(placed / SLICE) * SLICE;
  check('the relinked module leaves exactly one slice after __heap_base', room === SLICE,
    `__heap_base ${placed}, ${room} bytes to the end`);
  const code = exports.first_calls_check();
  check('one slice after __heap_base: the heap checks clean', code === 0, `walloc_check ${code}`);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
