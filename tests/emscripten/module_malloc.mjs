// Module._malloc from JavaScript on an emscripten module linked with walloc (-sMALLOC=none):
// blocks come back usable and distinct, writes through HEAPU8 stay put while memory grows
// (walloc tells emscripten to renew its views), an impossible request returns 0, and free
// leaves a consistent heap. Usage: node module_malloc.mjs build/emscripten/tests/module_malloc.js
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const Module = createRequire(import.meta.url)(resolve(process.argv[2]));
let failed = 0;
const expect = (ok, what) => { if (!ok) { failed++; console.log(`FAIL ${what}`); } };

const blocks = [];
for (let i = 0; i < 64; i++) {
  const size = 1 << (i % 24);
  const p = Module._malloc(size);
  expect(p !== 0 && Module._usable_size(p) >= size, `malloc(${size}) gives a usable block`);
  // A view left detached by a grow has length 0, and every check on it would pass vacuously.
  expect(Module.HEAPU8.length >= p + size, `HEAPU8 covers the block of ${size} (memory grew: views renewed)`);
  Module.HEAPU8.fill(i, p, p + Math.min(size, 4096));
  blocks.push([p, size, i]);
}
for (const [p, size, fill] of blocks) {
  const bytes = Module.HEAPU8.subarray(p, p + Math.min(size, 4096));
  expect(bytes.length === Math.min(size, 4096) && bytes.every((b) => b === fill), `block of ${size} keeps its bytes`);
}
expect(Module.HEAPU8.length > 32 << 20, 'memory grew past the initial 16 MiB');
expect(new Set(blocks.map(([p]) => p)).size === blocks.length, 'blocks are distinct');
expect(Module._malloc(0x80000000) === 0, 'an impossible request returns 0');
expect(Module._heap_check() === 0, 'the heap is consistent with blocks live');
for (const [p] of blocks) Module._free(p);
expect(Module._heap_check() === 0, 'the heap is consistent after free');
console.log(failed ? `${failed} failed` : 'ok: Module._malloc from JavaScript on walloc');
process.exit(failed ? 1 : 0);
