// Runs an emscripten-built test (node, its JavaScript) the way tests/death.sh expects a runner
// to: a trap (emscripten lets the RuntimeError escape, and node exits 7 or 1 after printing the
// source line it came from) becomes exit status 134, as an abort does natively; stdout and the
// program's own stderr lines pass through.
// Usage: node tests/emscripten/run.mjs build/emscripten/tests/test_death.js [args...]
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const [program, ...args] = process.argv.slice(2);
const run = spawnSync(process.execPath, [program, ...args], { encoding: 'utf8' });
process.stdout.write(run.stdout);
const trapped = /RuntimeError: (unreachable|Aborted)/.test(run.stderr);
// node's report of an uncaught error starts at the line naming the script by its absolute path;
// what precedes it is what the program wrote to stderr.
const report = run.stderr.search(new RegExp(`^${resolve(program).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+$`, 'm'));
process.stderr.write(trapped && report >= 0 ? run.stderr.slice(0, report) : run.stderr);
process.exit(trapped ? 134 : run.status ?? 1);
