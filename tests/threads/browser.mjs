// The threads test in Debian's Chromium (playwright-core) and Firefox ESR (puppeteer-core), as
// tests/js/browser.mjs drives them, no browser downloaded: `node tests/threads/browser.mjs
// chromium|firefox` serves tests/threads/page.html with the test module and waits for its
// "N passed, M failed" title, then prints the page's log. Exits 1 unless all passed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../demo/serve.mjs';

const ENGINE = process.argv[2] ?? 'chromium';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const TIMEOUT_MS = 120000;
const SUMMARY = /^(\d+) passed, (\d+) failed$/;
// playwright-core and puppeteer-core are installed for the JS tests, in tests/js/node_modules.
const modules = new URL('../js/node_modules/', import.meta.url);

async function launch(profile) {
  if (ENGINE === 'firefox') {
    const { default: puppeteer } = await import(new URL('puppeteer-core/lib/esm/puppeteer/puppeteer-core.js', modules));
    const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, userDataDir: profile });
    return { newPage: () => browser.newPage(), close: () => browser.close() };
  }
  if (ENGINE !== 'chromium') throw new Error(`unknown engine ${ENGINE}: chromium or firefox`);
  const { chromium } = await import(new URL('playwright-core/index.mjs', modules));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS });
  return { newPage: () => context.newPage(), close: () => context.close() };
}

const { server, url } = await serve(0, undefined, ['tests/threads', 'build/wasm32-threads/tests']);
const profile = mkdtempSync(join(tmpdir(), `walloc-threads-${ENGINE}-`));
const browser = await launch(profile);
let title = '';
try {
  const page = await browser.newPage();
  await page.goto(`${url}/tests/threads/page.html`);
  for (const start = Date.now(); !SUMMARY.test(title = await page.evaluate(() => document.title));) {
    if (Date.now() - start > TIMEOUT_MS) throw new Error(`${ENGINE}: the threads test did not finish in ${TIMEOUT_MS} ms`);
    await sleep(100);
  }
  console.log(await page.evaluate(() => document.getElementById('log').textContent));
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`${ENGINE} threads: ${title}`);
process.exit(title.endsWith(' 0 failed') ? 0 : 1);
