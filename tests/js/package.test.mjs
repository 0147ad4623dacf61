// The npm package: `npm pack` ships index.mjs, walloc.mjs and threads.mjs (with abi.mjs and
// checks.mjs), walloc.d.ts, walloc.wasm, walloc-gc.wasm, walloc64.wasm and walloc-threads.wasm,
// and a project that installs the tarball (offline: the package has no dependencies) can import
// and use it, the collector and the shared heap included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = fileURLToPath(new URL('../../js/', import.meta.url));
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

test('npm pack ships the modules, their types and the four wasm modules', () => {
  const [{ files }] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], PACKAGE));
  assert.deepEqual(files.map((f) => f.path).sort(),
    ['abi.mjs', 'checks.mjs', 'index.mjs', 'package.json', 'threads.mjs', 'walloc-gc.wasm', 'walloc-threads.wasm',
      'walloc.d.ts', 'walloc.mjs', 'walloc.wasm', 'walloc64.wasm']);
});

test('an installed tarball works from node_modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-pack-'));
  try {
    const tarball = npm(['pack', '--ignore-scripts', '--pack-destination', dir], PACKAGE).trim().split('\n').pop();
    writeFileSync(join(dir, 'package.json'), '{ "name": "consumer", "private": true, "type": "module" }');
    npm(['install', '--offline', '--no-audit', '--no-fund', join(dir, tarball)], dir);
    const script = "import { Walloc } from 'walloc-heap'; const h = await Walloc.instantiate(); const p = h.malloc(10); " +
      "h.copyIn(p, new Uint8Array([7])); const g = await Walloc.instantiate({ gc: true }); " +
      "console.log(h.copyOut(p, 1)[0], h.tierAlloc(Walloc.TIER.SCENE, 8) > 0, g.gcSetRoot(0, g.gcAlloc(8)) === 0); " +
      "const { WallocThreads } = await import('walloc-heap'); const s = await WallocThreads.instantiate(); " +
      "console.log(s instanceof Walloc, s.usableSize(s.malloc(100)) >= 100, typeof s.handoff().area);";
    writeFileSync(join(dir, 'use.mjs'), script);
    assert.equal(execFileSync(process.execPath, ['use.mjs'], { cwd: dir, encoding: 'utf8' }).trim(), '7 true true\ntrue true number');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
