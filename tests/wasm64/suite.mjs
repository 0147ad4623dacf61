// The wasm64 suite, shared by node 24 (tests/wasm64/run.mjs) and Chromium (page.html): the
// freestanding workout (tests/freestanding/fs_test.c, against build/wasm64/libwalloc.a) and the
// heap past 4 GiB (tests/wasm64/beyond.c, against libwalloc.a and libwalloc-secure.a).
// Every scenario runs on a fresh instance. A wasm64 module's pointers and sizes are BigInts in
// JavaScript; they are turned into numbers (exact below 2^53) as they come out.

const FOUR_GIB = 2 ** 32;
const SCENARIOS = ['cross_boundary', 'huge_blocks', 'big_tiers', 'limit_above_four_gib', 'engine_limit',
  'collector_past_four_gib'];

function cString(memory, at) {
  const bytes = new Uint8Array(memory.buffer);
  const end = bytes.indexOf(0, at);
  return new TextDecoder().decode(bytes.subarray(at, end < 0 ? at : end));
}

// Runs `thunk` and returns the RuntimeError it trapped with, or null when it returned.
function trapOf(thunk) {
  try {
    thunk();
    return null;
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) return error;
    throw error;
  }
}

/**
 * Runs the suite. `load(name)` resolves to the compiled module build/wasm64/tests/<name>.wasm;
 * `log(line)` reports; `steps` is the length of each stress run. Resolves to { passed, failed }.
 */
export async function runSuite({ load, log, steps }) {
  let passed = 0;
  let failed = 0;
  const check = (name, ok, detail = '') => {
    if (ok) passed++;
    else {
      failed++;
      log(`FAIL ${name} ${detail}`);
    }
  };
  const fresh = async (module) => (await WebAssembly.instantiate(module, {})).exports;

  // The death scenario `name` must trap, leaving in walloc_last_error() `${what} of 0x...`
  // naming the pointer the module reports, which lies past 4 GiB when `high`.
  async function dies(module, label, name, what, pointerOf, high = true) {
    const exports = await fresh(module);
    const trap = trapOf(() => exports[name]());
    const message = cString(exports.memory, Number(exports.last_error()));
    const pointer = Number(pointerOf(exports));
    check(`${label} ${name} traps`, trap !== null, 'it returned');
    if (high) check(`${label} ${name} is past 4 GiB`, pointer >= FOUR_GIB, `0x${pointer.toString(16)}`);
    check(`${label} ${name} names the pointer`, message === `walloc: ${what} of 0x${pointer.toString(16)}` ||
      message === `walloc: ${what} 0x${pointer.toString(16)} (canary)`, message);
  }

  // fs_test expects every freed byte back, which the secure build's quarantine holds: it runs
  // on the default build, beyond.c on both.
  const workout = await load('fs_test');
  check('fs_test imports nothing', WebAssembly.Module.imports(workout).length === 0);
  for (const seed of [1, 2, 3]) {
    const result = (await fresh(workout)).stress(seed, steps);
    check(`stress seed ${seed}`, result === 0, `check ${result} failed`);
  }
  check('exhaustion returns NULL, then recovers', (await fresh(workout)).exhaustion() === 0);
  await dies(workout, 'fs_test', 'double_free', 'double free', (e) => e.double_freed_pointer(), false);

  for (const variant of ['', '-secure']) {
    const label = variant ? 'secure' : 'default';
    const beyond = await load(`beyond${variant}`);
    for (const name of SCENARIOS) {
      const exports = await fresh(beyond);
      const started = Date.now();
      const result = exports[name]();
      const memory = exports.memory.buffer.byteLength;
      check(`${label} ${name}`, result === 0,
        `check ${result} failed: ${cString(exports.memory, Number(exports.last_error()))}`);
      check(`${label} ${name} went past 4 GiB`, memory > FOUR_GIB, `memory ${memory}`);
      const reached = name === 'engine_limit' ? `, the engine refused at ${Number(exports.engine_limit_reached()) / 2 ** 30} GiB` : '';
      log(`${label} ${name}: memory ${(memory / 2 ** 30).toFixed(2)} GiB${reached}, ${Date.now() - started} ms`);
    }
    const victim = (e) => e.victim_pointer();
    await dies(beyond, label, 'double_free_small', 'double free', victim);
    await dies(beyond, label, 'double_free_medium', 'double free', victim);
    await dies(beyond, label, 'interior_free_large', 'invalid free', victim);
    if (variant) await dies(beyond, label, 'overflow_past_block', 'heap overflow past', victim);
  }
  return { passed, failed };
}
