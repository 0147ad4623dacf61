// Runs the freestanding workout (fs_test.c) in node: the module must import nothing, pass its
// stress and exhaustion checks, and turn a double free into a trap whose message the host can
// read from walloc_last_error(). Prints `N passed, M failed`.
import { instantiateFreestanding, trapMessage, readCString } from '../host/freestanding.mjs';

const path = process.argv[2];
const steps = Number(process.argv[3] ?? 200000);
let passed = 0, failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}

const fresh = async () => (await instantiateFreestanding(path)).exports;

const { module } = await instantiateFreestanding(path);
check('imports nothing', WebAssembly.Module.imports(module).length === 0,
  JSON.stringify(WebAssembly.Module.imports(module)));

for (const seed of [1, 2, 3]) {
  const result = (await fresh()).stress(seed, steps);
  check(`stress seed ${seed}`, result === 0, `check ${result} failed`);
}

check('exhaustion returns NULL, then recovers', (await fresh()).exhaustion() === 0);

const exports = await fresh();
const trap = trapMessage(() => exports.double_free());
check('double free traps', trap !== null, 'it returned');
const message = readCString(exports.memory, exports.last_error());
const pointer = exports.double_freed_pointer();
check('message names the double free and its pointer',
  message === `walloc: double free of 0x${pointer.toString(16)}`, message);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
