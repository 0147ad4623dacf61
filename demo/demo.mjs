// The page: runs the Simulation one frame per animation frame, prints its checks to the on-page
// console, draws linear memory and fills the stats table after every frame.
import { SLICE, TIER } from '../js/walloc.mjs';
import { COLORS, MAP_HEIGHT, TIER_USED, drawMap as drawCodes, legendHtml, log } from './map.mjs';
import { Simulation } from './simulation.mjs';

const $ = (id) => document.getElementById(id);
const startButton = $('start');
const stopButton = $('stop');
const workersButton = $('workers'); // the Workers mode (workers.mjs) waits while a simulation runs
const canvas = $('map');
const ctx = canvas.getContext('2d');

$('legend').innerHTML = legendHtml();

const BAR_HEIGHT = 18;
const LABEL_WIDTH = 96;
const mib = (bytes) => `${(bytes / 1048576).toFixed(2)} MiB`;

let running = null;

function drawMap(sim) {
  const codes = sim.heap.memoryMap();
  for (const [tier, blocks] of Object.entries(sim.live)) {
    for (const { ptr, size } of blocks) {
      for (let s = ptr >>> 12; size > 0 && s <= (ptr + size - 1) >>> 12; s++) codes[s] = TIER_USED + Number(tier);
    }
  }
  drawCodes(canvas, codes);
}

// One bar per tier: used (solid), capacity (the bar), high-water mark (black tick).
function drawBars(stats) {
  ctx.font = '11px system-ui, sans-serif';
  const width = canvas.width - LABEL_WIDTH - 8;
  let y = MAP_HEIGHT + 8;
  const bar = (label, parts, total, tick, note) => {
    ctx.fillStyle = '#222';
    ctx.fillText(label, 0, y + 13);
    ctx.fillStyle = '#e9edf1';
    ctx.fillRect(LABEL_WIDTH, y, width, BAR_HEIGHT);
    let x = LABEL_WIDTH;
    for (const [bytes, color] of parts) {
      const w = (bytes / total) * width;
      ctx.fillStyle = color;
      ctx.fillRect(x, y, w, BAR_HEIGHT);
      x += w;
    }
    if (tick !== undefined) {
      ctx.fillStyle = '#000';
      ctx.fillRect(LABEL_WIDTH + Math.min(1, tick / total) * width - 1, y - 2, 2, BAR_HEIGHT + 4);
    }
    ctx.fillStyle = '#222';
    ctx.fillText(note, LABEL_WIDTH + 6, y + 13);
    y += BAR_HEIGHT + 5;
  };
  const heapFree = stats.heapBytes - stats.liveBytes - stats.metaBytes - stats.tierBytes - stats.gcBytes;
  bar('general heap', [[stats.liveBytes, COLORS[SLICE.LARGE]], [stats.metaBytes, COLORS[SLICE.META]],
    [stats.tierBytes, COLORS[SLICE.TIER]], [stats.gcBytes, COLORS[SLICE.GC]]], stats.heapBytes, stats.peakLiveBytes,
    `live ${mib(stats.liveBytes)}, free ${mib(heapFree)}, tiers ${mib(stats.tierBytes)}, GC ${mib(stats.gcBytes)}`);
  stats.tiers.forEach((t, i) => {
    bar(t.name.toUpperCase(), [[t.used, COLORS[TIER_USED + i]]], Math.max(t.capacity, t.highWater), t.highWater,
      `used ${mib(t.used)} / ${mib(t.capacity)}, high water ${mib(t.highWater)}, recycled ${mib(t.recycled)}`);
  });
}

function showStats(sim, stats) {
  const row = (cells, tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  const gc = sim.heap.gcStats();
  const heapRows = [
    ['frame', sim.frame], ['linear memory', mib(stats.memoryBytes)], ['heap', mib(stats.heapBytes)],
    ['live (malloc)', mib(stats.liveBytes)], ['peak live', mib(stats.peakLiveBytes)], ['free', mib(stats.freeBytes)],
    ['tier chunks', mib(stats.tierBytes)], ['GC spans', mib(stats.gcBytes)], ['GC allocated in all', mib(gc.totalBytes)],
    ['GC collections', gc.collections], ['allocations', stats.allocCount], ['memory.grow calls', stats.growCount],
  ];
  $('stats').innerHTML = heapRows.map((r) => row(r)).join('') +
    row(['tier', 'used', 'capacity', 'high water', 'recycled', 'resets'], 'th') +
    stats.tiers.map((t) => row([t.name, mib(t.used), mib(t.capacity), mib(t.highWater), mib(t.recycled), t.resets])).join('');
}

function draw(sim) {
  const stats = sim.heap.stats();
  drawMap(sim);
  drawBars(stats);
  showStats(sim, stats);
}

function finish(status) {
  running = null;
  $('status').textContent = status;
  startButton.disabled = false;
  stopButton.disabled = true;
  workersButton.disabled = !crossOriginIsolated;
}

async function afterLoop(sim) {
  stopButton.disabled = true;
  sim.reportLoop();
  $('status').textContent = 'asset phase';
  await sim.assetPhase(new URL('assets/', location.href).href);
  draw(sim);
  finish(sim.summary());
}

function frame(sim) {
  if (running !== sim) return;
  try {
    sim.step();
    draw(sim);
    $('status').textContent = `frame ${sim.frame}`;
    if (sim.done) afterLoop(sim).catch((error) => fail(sim, error));
    else requestAnimationFrame(() => frame(sim));
  } catch (error) {
    fail(sim, error);
  }
}

function fail(sim, error) {
  sim.expect(false, `${error.name}: ${error.message}`);
  finish(sim.summary());
}

startButton.addEventListener('click', async () => {
  startButton.disabled = true;
  workersButton.disabled = true;
  $('console').replaceChildren();
  const sim = await Simulation.create(log);
  running = sim;
  stopButton.disabled = false;
  sim.setup();
  requestAnimationFrame(() => frame(sim));
});

stopButton.addEventListener('click', () => {
  if (!running) return;
  log('info', `stopped by the user at frame ${running.frame}`);
  finish(`stopped at frame ${running.frame}`);
});
