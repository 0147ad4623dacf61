// workers.mjs - the page's Workers mode: the churn of churn.mjs in N Web Workers at once on one
// WallocThreads heap, whose shared memory needs a cross-origin isolated page (serve.mjs sends the
// headers). While the workers run, the map shows the shared heap, the bars and the table each
// worker's throughput; once all have left the heap the page checks it (every block handed was
// received, walloc_check, live bytes and counts back where they started) and prints a summary.
import { WallocThreads } from '../js/index.mjs';
import { ringBytes } from './churn.mjs';
import { SLICE } from '../js/walloc.mjs';
import { COLORS, MAP_HEIGHT, drawMap, log } from './map.mjs';

const MILLISECONDS = 1500;
const RING_CAPACITY = 256;
const MAXIMUM_BYTES = 512 * 1024 * 1024;
const MAX_WORKERS = 8;
const BAR_HEIGHT = 14;
const LABEL_WIDTH = 96;

const $ = (id) => document.getElementById(id);
const button = $('workers');
const canvas = $('map');
const mib = (bytes) => `${(bytes / 1048576).toFixed(2)} MiB`;
const rate = (row) => (row.elapsed > 0 ? Math.round((row.counts.allocations / row.elapsed) * 1000) : 0);

if (!crossOriginIsolated) {
  button.disabled = true;
  button.title = 'needs a cross-origin isolated page (COOP/COEP headers, as demo/serve.mjs sends)';
}

// One bar per worker under the map: allocations per second, against the fastest.
function drawBars(rows) {
  const ctx = canvas.getContext('2d');
  const fastest = Math.max(1, ...rows.map(rate));
  const width = canvas.width - LABEL_WIDTH - 8;
  ctx.font = '11px system-ui, sans-serif';
  rows.forEach((row, id) => {
    const y = MAP_HEIGHT + 8 + id * (BAR_HEIGHT + 4);
    ctx.fillStyle = '#222';
    ctx.fillText(`worker ${id}`, 0, y + 11);
    ctx.fillStyle = COLORS[SLICE.FREE];
    ctx.fillRect(LABEL_WIDTH, y, width, BAR_HEIGHT);
    ctx.fillStyle = COLORS[SLICE.SMALL];
    ctx.fillRect(LABEL_WIDTH, y, (rate(row) / fastest) * width, BAR_HEIGHT);
    ctx.fillStyle = '#222';
    ctx.fillText(`${rate(row).toLocaleString('en')} allocations/s, ${row.state}`, LABEL_WIDTH + 6, y + 11);
  });
}

function showStats(stats, rows) {
  const row = (cells, tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  const heapRows = [
    ['linear memory (shared)', mib(stats.memoryBytes)], ['heap', mib(stats.heapBytes)], ['live', mib(stats.liveBytes)],
    ['peak live', mib(stats.peakLiveBytes)], ['free (caches included)', mib(stats.freeBytes)],
    ['allocations', stats.allocCount], ['frees', stats.freeCount], ['memory.grow calls', stats.growCount],
  ];
  $('stats').innerHTML = heapRows.map((r) => row(r)).join('') +
    row(['worker', 'allocations', 'per second', 'handed', 'received'], 'th') +
    rows.map((r, id) => row([id, r.counts.allocations, rate(r).toLocaleString('en'), r.counts.handed, r.counts.received])).join('');
}

function draw(heap, rows) {
  if (heap.stopped) return; // a report stopped the heap: the last picture stays
  drawMap(canvas, heap.memoryMap());
  drawBars(rows);
  showStats(heap.stats(), rows);
}

// Starts worker `id` on its handoff; resolves when it posted its final counts or an error.
function startWorker(heap, id, rings, row) {
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
  const finished = new Promise((resolve) => {
    worker.onmessage = ({ data }) => {
      if (data.error) Object.assign(row, { state: 'failed', error: data.error });
      else Object.assign(row, { counts: data.counts, elapsed: data.elapsed, state: data.done ? 'done' : 'running' });
      if (data.error || data.done) resolve();
    };
    worker.onerror = (event) => {
      Object.assign(row, { state: 'failed', error: event.message || 'the worker failed to start' });
      resolve();
    };
  });
  const inbound = rings[id];
  const outbound = rings[(id + 1) % rings.length];
  worker.postMessage({ handoff: heap.handoff(), id, inbound, outbound, milliseconds: MILLISECONDS });
  return finished.finally(() => worker.terminate());
}

// The checks once every worker is done: each line a [PASS] or [FAIL], then the summary line.
function judge(heap, rows, before) {
  let passed = 0;
  let failed = 0;
  const expect = (ok, text) => {
    if (ok) passed++;
    else failed++;
    log(ok ? 'pass' : 'fail', text);
  };
  rows.forEach((r, id) => expect(!r.error, r.error ? `worker ${id}: ${r.error}` :
    `worker ${id}: ${r.counts.allocations} allocations in ${Math.round(r.elapsed)} ms (${rate(r).toLocaleString('en')}/s), ` +
    `${r.counts.handed} blocks handed on, ${r.counts.received} received, every block checked as freed`));
  const handed = rows.reduce((sum, r) => sum + r.counts.handed, 0);
  const received = rows.reduce((sum, r) => sum + r.counts.received, 0);
  expect(handed === received && handed > 0, `${handed} blocks handed between workers, ${received} received and freed by the next`);
  // A stopped heap (a misuse report) makes check() throw the report.
  let problem = null;
  try {
    heap.check();
  } catch (error) {
    problem = error.message;
  }
  expect(problem === null, problem ?? 'walloc_check passes with every worker gone');
  if (!heap.stopped) {
    const end = heap.stats();
    expect(end.liveBytes === before.liveBytes, `live bytes back where they started: ${end.liveBytes} (started at ${before.liveBytes})`);
    // The workers' allocations and their stacks, each freed since.
    const made = rows.reduce((sum, r) => sum + r.counts.allocations, rows.length);
    const allocations = end.allocCount - before.allocCount;
    const frees = end.freeCount - before.freeCount;
    expect(allocations === made && frees === made, `${allocations} allocations and ${frees} frees counted, ${made} made`);
    const total = rows.reduce((sum, r) => sum + rate(r), 0);
    log('info', `${rows.length} workers, ${total.toLocaleString('en')} allocations/s in all, linear memory ${mib(end.memoryBytes)}`);
  }
  const summary = `Summary: ${passed} passed, ${failed} failed`;
  log('summary', summary);
  return summary;
}

button.addEventListener('click', async () => {
  const startButton = $('start');
  startButton.disabled = button.disabled = true;
  $('console').replaceChildren();
  const count = Math.min(MAX_WORKERS, Math.max(1, Math.floor(Number($('worker-count').value)) || 1));
  $('status').textContent = `${count} workers running`;
  try {
    const heap = await WallocThreads.instantiate({ maximumBytes: MAXIMUM_BYTES });
    const before = heap.stats();
    log('info', `one heap on a shared memory, ${count} Web Workers churning it for ${MILLISECONDS} ms, blocks handed round a ring`);
    const rings = Array.from({ length: count }, () => new SharedArrayBuffer(ringBytes(RING_CAPACITY)));
    const rows = rings.map(() => ({ counts: { allocations: 0, handed: 0, received: 0 }, elapsed: 0, state: 'starting' }));
    let running = true;
    const animate = () => {
      if (!running) return;
      draw(heap, rows);
      requestAnimationFrame(animate);
    };
    requestAnimationFrame(animate);
    await Promise.all(rows.map((row, id) => startWorker(heap, id, rings, row)));
    running = false;
    draw(heap, rows);
    $('status').textContent = judge(heap, rows, before);
  } catch (error) {
    log('fail', `${error.name}: ${error.message}`);
    log('summary', 'Summary: 0 passed, 1 failed');
    $('status').textContent = 'workers failed';
  } finally {
    startButton.disabled = false;
    button.disabled = !crossOriginIsolated;
  }
});
