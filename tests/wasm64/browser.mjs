// The wasm64 suite in Debian's Chromium, driven by playwright-core as tests/js/browser.mjs drives
// it (no browser is downloaded): serves tests/wasm64/page.html (or the page named as the
// argument: c-page.html runs walloc's C tests built for wasm64) and the modules wasm64.mk links,
// waits for the page's "N passed, M failed" title and prints the page's log. Chromium runs a
// memory64 module without flags and grows it to V8's 16 GiB.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../demo/serve.mjs';

// playwright-core is installed for the JS tests, in tests/js/node_modules (js/js.mk).
const { chromium } = await import(new URL('../js/node_modules/playwright-core/index.mjs', import.meta.url));

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const TIMEOUT_MS = 180000;
const SUMMARY = /^(\d+) passed, (\d+) failed$/;

const PAGE = process.argv[2] ?? 'page.html';
const { server, url } = await serve(0, undefined, ['tests/wasm64', 'build/wasm64/tests', 'build/wasm64-test']);
const profile = mkdtempSync(join(tmpdir(), 'walloc-wasm64-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS });
let title = '';
const errors = [];
try {
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  await page.goto(`${url}/tests/wasm64/${PAGE}`);
  for (const start = Date.now(); !SUMMARY.test(title = await page.title());) {
    if (Date.now() - start > TIMEOUT_MS) throw new Error(`chromium: ${PAGE} did not finish in ${TIMEOUT_MS} ms`);
    await sleep(100);
  }
  console.log(await page.evaluate(() => document.getElementById('log').textContent));
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
for (const error of errors) console.log(error);
console.log(`chromium (${PAGE}): ${title}`);
process.exit(title.endsWith(' 0 failed') && errors.length === 0 ? 0 : 1);
