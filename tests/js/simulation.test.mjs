// The demo's simulation, run headless in node against the demo server: every check passes, the
// garbage collector's among them, and a second run in a fresh heap does too.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, FRAMES } from '../../demo/simulation.mjs';
import { serve } from '../../demo/serve.mjs';

const { server, url } = await serve(0);
after(() => server.close());

async function run() {
  const lines = [];
  const sim = await Simulation.create((kind, text) => lines.push(`${kind}: ${text}`));
  sim.setup();
  while (!sim.done) sim.step();
  sim.reportLoop();
  await sim.assetPhase(`${url}/demo/assets/`);
  return { sim, lines, summary: sim.summary() };
}

test('the simulation passes every check, twice', async () => {
  for (let round = 0; round < 2; round++) {
    const { sim, lines, summary } = await run();
    assert.deepEqual(lines.filter((l) => l.startsWith('fail')), [], lines.join('\n'));
    assert.equal(sim.frame, FRAMES);
    assert.match(summary, /^Summary: \d+ passed, 0 failed$/);
    assert.ok(sim.passed >= 14, summary);
    assert.equal(lines.filter((l) => /^pass: (GC|memory map: \d+ slices of GC spans)/.test(l)).length, 4, lines.join('\n'));
  }
});
