// Runs the wasm64 suite (suite.mjs) in node: `node tests/wasm64/run.mjs DIR [steps]`, DIR holding
// the modules wasm64.mk links. Needs node 24 (scripts/node24-npm): node 20 runs memory64 only
// behind a flag and cannot grow memory past 4 GiB. Prints `N passed, M failed`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runSuite } from './suite.mjs';

const [dir, steps = '200000'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node tests/wasm64/run.mjs DIR [steps]');
  process.exit(2);
}
const load = async (name) => WebAssembly.compile(await readFile(join(dir, `${name}.wasm`)));
const { passed, failed } = await runSuite({ load, log: (line) => console.log(line), steps: Number(steps) });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
