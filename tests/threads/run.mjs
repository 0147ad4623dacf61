// The threads test in node: `node tests/threads/run.mjs build/wasm32-threads/tests/test_threads.wasm`
// runs tests/threads/harness.mjs with worker_threads. Exits 1 unless every check passed.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { runThreadsTest } from './harness.mjs';

const bytes = readFileSync(process.argv[2]);
const { failed } = await runThreadsTest(bytes, () => new Worker(new URL('./worker.mjs', import.meta.url)), console.log);
process.exit(failed ? 1 : 0);
