// The demo in Debian's chromium, driven by playwright-core (no browser download): serves it on
// localhost, runs the simulation twice and stops a third run half-way, then fails on any
// [FAIL] line, console error or page error, or when the memory map shows no cell in the colour
// its legend gives GC spans. Saves a screenshot to build/js/demo.png. Then the npm package as a
// user gets it: packed, installed into a fresh project, imported from its node_modules by a page.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../../demo/serve.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT = new URL('../../build/js/demo.png', import.meta.url);
const SUMMARY = /^Summary: (\d+) passed, (\d+) failed$/m;
const RUN_TIMEOUT_MS = 120000;
const MAP_HEIGHT = 296; // demo.mjs draws the memory map in the canvas's top rows, the tier bars below

const problems = [];
const { server, url } = await serve(0);
const profile = mkdtempSync(join(tmpdir(), 'walloc-chromium-'));
const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, viewport: { width: 1200, height: 1000 } });

async function runOnce(page, round) {
  await page.click('#start');
  await page.waitForFunction((pattern) => new RegExp(pattern, 'm').test(document.getElementById('console').innerText),
    SUMMARY.source, { timeout: RUN_TIMEOUT_MS });
  const text = await page.innerText('#console');
  const [, passed, failed] = text.match(SUMMARY);
  for (const line of text.split('\n').filter((l) => l.startsWith('[FAIL]'))) problems.push(`run ${round}: ${line}`);
  if (Number(failed) !== 0 || Number(passed) < 14) problems.push(`run ${round}: ${text.match(SUMMARY)[0]}`);
  console.log(`run ${round}: ${text.match(SUMMARY)[0]}`);
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
  const { server: consumer, url: at } = await (async () => {
    const tarball = npm(['pack', '--ignore-scripts', '--pack-destination', project, new URL('../../js/', import.meta.url).pathname])
      .trim().split('\n').pop();
    writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "private": true }');
    npm(['install', '--offline', '--no-audit', '--no-fund', join(project, tarball)]);
    mkdirSync(join(project, 'web'));
    writeFileSync(join(project, 'web', 'index.html'), PACKAGE_PAGE);
    return serve(0, project, ['web', 'node_modules']);
  })();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(`package page error: ${error.message}`));
    await page.goto(`${at}/web/`);
    await page.waitForFunction(() => document.title.startsWith('ok'), null, { timeout: 30000 });
    const title = await page.title();
    if (title !== 'ok 42 true') problems.push(`package page: "${title}"`);
    console.log(`installed package in a page: ${title}`);
  } finally {
    consumer.close();
    rmSync(project, { recursive: true, force: true });
  }
}

try {
  await installedPackageInAPage();
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
  console.log(`run 1: ${gcPixels} pixels of the memory map in the GC colour`);
  mkdirSync(new URL('.', SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
  await runOnce(page, 2);

  await page.click('#start');
  await page.waitForFunction(() => /^frame (\d+)$/.test(document.getElementById('status').textContent) &&
    Number(document.getElementById('status').textContent.slice(6)) >= 30, null, { timeout: RUN_TIMEOUT_MS });
  await page.click('#stop');
  const status = await page.textContent('#status');
  await page.waitForTimeout(300);
  const after = await page.textContent('#status');
  if (!/^stopped at frame \d+$/.test(status) || after !== status) problems.push(`stop: status "${status}" then "${after}"`);
  if (await page.isDisabled('#start')) problems.push('stop: Start is still disabled');
  console.log(`run 3: ${status}`);
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`browser test failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`browser test passed; screenshot ${SCREENSHOT.pathname}`);
