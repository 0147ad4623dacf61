// The demo in a real browser, with no browser download: Debian's chromium driven by
// playwright-core (`node tests/js/browser.mjs chromium`, the default) or Debian's Firefox ESR
// (SpiderMonkey) driven by puppeteer-core over WebDriver BiDi (`... firefox`). Serves the demo on
// localhost, runs the simulation twice and stops a third run half-way, then the Workers mode
// (four Web Workers on one shared heap), then fails on any [FAIL] line, console error or page
// error, when the memory map shows no cell in the colour its legend gives GC spans, or when a
// worker of the Workers mode made no allocations; saves screenshots to build/js/demo-<engine>.png
// and build/js/demo-workers-<engine>.png. Before that, the
// npm package as a user gets it (packed, installed into a fresh project, imported from its
// node_modules by a page) and the freestanding build's workout (tests/freestanding/page.html).
// Pages are read through evaluate() alone, which both drivers share.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../demo/serve.mjs';
import { launch as launchBrowser } from '../host/browser.mjs';

const ENGINE = process.argv[2] ?? 'chromium';
const VIEWPORT = { width: 1200, height: 1000 };
const SCREENSHOT = new URL(`../../build/js/demo-${ENGINE}.png`, import.meta.url);
const WORKERS_SCREENSHOT = new URL(`../../build/js/demo-workers-${ENGINE}.png`, import.meta.url);
const WORKERS = 4;
const SUMMARY = /^Summary: (\d+) passed, (\d+) failed$/m;
const RUN_TIMEOUT_MS = 120000;
const MAP_HEIGHT = 296; // demo.mjs draws the memory map in the canvas's top rows, the tier bars below

/** The browser of ENGINE, as { newPage(), close() }; each driver's pages take the same calls. */
const launch = (profile) => launchBrowser(ENGINE, profile, VIEWPORT);

/** Polls `test` (a function run in the page, given `arg`) until it returns true. */
async function waitFor(page, test, arg, what) {
  for (const start = Date.now(); !(await page.evaluate(test, arg));) {
    if (Date.now() - start > RUN_TIMEOUT_MS) throw new Error(`${ENGINE}: timed out waiting for ${what}`);
    await sleep(50);
  }
}

const text = (page, selector) => page.evaluate((s) => document.querySelector(s).innerText, selector);

const problems = [];
const { server, url } = await serve(0, undefined, ['js', 'demo', 'tests/freestanding', 'build/wasm32/tests']);
const profile = mkdtempSync(join(tmpdir(), `walloc-${ENGINE}-`));
const browser = await launch(profile);

// Clicks `button` and waits for the console's summary line; records every [FAIL] line and a
// summary with failures or fewer than `least` passes.
async function runOnce(page, round, button = '#start', least = 14) {
  await page.click(button);
  await waitFor(page, (pattern) => new RegExp(pattern, 'm').test(document.getElementById('console').innerText),
    SUMMARY.source, `the summary of run ${round}`);
  const log = await text(page, '#console');
  const [, passed, failed] = log.match(SUMMARY);
  for (const line of log.split('\n').filter((l) => l.startsWith('[FAIL]'))) problems.push(`run ${round}: ${line}`);
  if (Number(failed) !== 0 || Number(passed) < least) problems.push(`run ${round}: ${log.match(SUMMARY)[0]}`);
  console.log(`${ENGINE} run ${round}: ${log.match(SUMMARY)[0]}`);
}

// The Workers mode: WORKERS Web Workers churn one shared heap; its own checks (each worker's,
// the blocks handed on, walloc_check, live bytes and counts) give WORKERS + 4 passes, and each
// worker's row of the stats table must show allocations.
async function workersMode(page) {
  await page.evaluate((count) => { document.getElementById('worker-count').value = String(count); }, WORKERS);
  await runOnce(page, 'workers', '#workers', WORKERS + 4);
  const allocations = await page.evaluate(() => [...document.querySelectorAll('#stats tr')]
    .filter((row) => /^\d+$/.test(row.cells[0]?.textContent ?? '') && row.cells.length === 5).map((row) => Number(row.cells[1].textContent)));
  if (allocations.length !== WORKERS || !allocations.every((n) => n > 0)) problems.push(`workers mode: allocations per worker ${allocations}`);
  console.log(`${ENGINE} workers mode: allocations per worker ${allocations.join(', ')}`);
  await page.screenshot({ path: WORKERS_SCREENSHOT.pathname, fullPage: true });
}

// Cells of the memory map in the legend's colour for GC spans (-1 when the legend has no entry).
function gcCells(page) {
  return page.evaluate((height) => {
    const entry = [...document.querySelectorAll('#legend span')].find((span) => span.textContent.startsWith('GC spans'));
    if (!entry) return -1;
    const hex = entry.style.getPropertyValue('--c').trim();
    const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
    const canvas = document.getElementById('map');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, height);
    let pixels = 0;
    for (let i = 0; i < data.length; i += 4) pixels += data[i] === r && data[i + 1] === g && data[i + 2] === b;
    return pixels;
  }, MAP_HEIGHT);
}

// A page of a project that installed the packed tarball (offline: the package has no
// dependencies) allocates, writes and reads back, and uses the collector.
const PACKAGE_PAGE = `<!doctype html><script type="module">
import { Walloc } from '/node_modules/walloc-heap/walloc.mjs';
const heap = await Walloc.instantiate(), gc = await Walloc.instantiate({ gc: true });
const p = heap.malloc(16);
heap.copyIn(p, new Uint8Array([42]));
gc.gcSetRoot(0, gc.gcAlloc(64));
document.title = \`ok \${heap.copyOut(p, 1)[0]} \${gc.gcStats().heapBytes > 0}\`;
</script>`;

async function installedPackageInAPage() {
  const project = mkdtempSync(join(tmpdir(), 'walloc-consumer-'));
  const npm = (args) => execFileSync('npm', args, { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const tarball = npm(['pack', '--ignore-scripts', '--pack-destination', project, new URL('../../js/', import.meta.url).pathname])
    .trim().split('\n').pop();
  writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "private": true }');
  npm(['install', '--offline', '--no-audit', '--no-fund', join(project, tarball)]);
  mkdirSync(join(project, 'web'));
  writeFileSync(join(project, 'web', 'index.html'), PACKAGE_PAGE);
  const { server: consumer, url: at } = await serve(0, project, ['web', 'node_modules']);
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(`package page error: ${error.message}`));
    await page.goto(`${at}/web/`);
    await waitFor(page, () => document.title.startsWith('ok'), null, 'the package page');
    const title = await page.evaluate(() => document.title);
    if (title !== 'ok 42 true') problems.push(`package page: "${title}"`);
    console.log(`${ENGINE}: installed package in a page: ${title}`);
  } finally {
    consumer.close();
    rmSync(project, { recursive: true, force: true });
  }
}

async function freestandingWorkout() {
  const page = await browser.newPage();
  page.on('pageerror', (error) => problems.push(`freestanding page error: ${error.message}`));
  await page.goto(`${url}/tests/freestanding/page.html`);
  await waitFor(page, () => / failed$/.test(document.title), null, 'the freestanding workout');
  const [title, log] = await page.evaluate(() => [document.title, document.getElementById('log').textContent]);
  if (!/^\d+ passed, 0 failed$/.test(title)) problems.push(`freestanding workout: ${title}\n${log}`);
  console.log(`${ENGINE}: freestanding workout: ${title}`);
}

try {
  await installedPackageInAPage();
  await freestandingWorkout();
  const page = await browser.newPage();
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console error: ${message.text()}`); });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  await page.goto(`${url}/demo/`);
  await runOnce(page, 1);
  const gcPixels = await gcCells(page);
  if (gcPixels <= 0) problems.push(`the memory map shows no GC spans (${gcPixels} pixels in their colour)`);
  console.log(`${ENGINE} run 1: ${gcPixels} pixels of the memory map in the GC colour`);
  mkdirSync(new URL('.', SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
  await runOnce(page, 2);

  await page.click('#start');
  await waitFor(page, () => /^frame (\d+)$/.test(document.getElementById('status').textContent) &&
    Number(document.getElementById('status').textContent.slice(6)) >= 30, null, 'frame 30 of run 3');
  await page.click('#stop');
  const status = await page.evaluate(() => document.getElementById('status').textContent);
  await sleep(300);
  const after = await page.evaluate(() => document.getElementById('status').textContent);
  if (!/^stopped at frame \d+$/.test(status) || after !== status) problems.push(`stop: status "${status}" then "${after}"`);
  if (await page.evaluate(() => document.getElementById('start').disabled)) problems.push('stop: Start is still disabled');
  console.log(`${ENGINE} run 3: ${status}`);
  await workersMode(page);
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`${ENGINE} browser test failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`${ENGINE} browser test passed; screenshot ${SCREENSHOT.pathname}`);
