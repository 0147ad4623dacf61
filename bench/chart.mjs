// Draws bench/results/latest.svg from bench/results/latest.json: for each workload a group of
// bars, one per allocator other than dlmalloc, each the allocator's speed relative to dlmalloc
// (dlmalloc median / its median) on a log scale, so that 2× faster and 2× slower are equally
// far from the 1× line, which is dlmalloc. bench/run.mjs calls it after a full run; `node bench/chart.mjs [in.json] [out.svg]`
// redraws it alone. No dependencies: the SVG is written as text.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COLORS = {
  walloc: '#1f77b4', 'walloc-secure': '#6baed6', mimalloc: '#d62728', emmalloc: '#ff7f0e',
};
const BAR = 14;
const GAP = 18;
const PLOT_HEIGHT = 320;
const LEFT = 60;
const TOP = 50;

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function chartSvg(report) {
  const allocators = report.allocators.filter((a) => a !== 'dlmalloc');
  const workloads = report.workloads;
  const values = workloads.flatMap((w) => allocators.map((a) => w.allocators[a].vsDlmalloc));
  // Whole powers of two around every ratio, and always 1× inside.
  const low = Math.min(0, Math.floor(Math.log2(Math.min(...values))));
  const high = Math.max(1, Math.ceil(Math.log2(Math.max(...values))));
  const y = (ratio) => TOP + PLOT_HEIGHT * (1 - (Math.log2(ratio) - low) / (high - low));
  const groupWidth = allocators.length * BAR + GAP;
  const width = LEFT + workloads.length * groupWidth + 20;
  const height = TOP + PLOT_HEIGHT + 110;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${LEFT}" y="18" font-size="14">Speed relative to wasi-libc dlmalloc (dlmalloc = 1×, higher is faster, log scale)</text>`,
    `<text x="${LEFT}" y="34" fill="#555">${escape(report.date.slice(0, 10))}, ${escape(report.machine.cpu)}, ` +
      `${report.machine.cores} cores, node ${escape(report.machine.node)}</text>`,
  ];
  for (let p = low; p <= high; p++) {
    const ratio = 2 ** p;
    parts.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(ratio)}" y2="${y(ratio)}" stroke="${p === 0 ? '#000' : '#ddd'}"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y(ratio) + 4}" text-anchor="end">${ratio < 1 ? ratio.toFixed(2) : ratio}×</text>`);
  }
  workloads.forEach((w, i) => {
    const x0 = LEFT + GAP / 2 + i * groupWidth;
    allocators.forEach((a, j) => {
      const ratio = w.allocators[a].vsDlmalloc;
      const top = Math.min(y(ratio), y(1));
      const barHeight = Math.max(1, Math.abs(y(ratio) - y(1)));
      parts.push(`<rect x="${x0 + j * BAR}" y="${top}" width="${BAR - 2}" height="${barHeight}" fill="${COLORS[a] ?? '#444'}">` +
        `<title>${escape(`${w.name}, ${a}: ${ratio.toFixed(2)}×`)}</title></rect>`);
    });
    const labelX = x0 + (allocators.length * BAR) / 2;
    const labelY = TOP + PLOT_HEIGHT + 14;
    parts.push(`<text transform="translate(${labelX},${labelY}) rotate(30)">${escape(w.name)}</text>`);
  });
  allocators.forEach((a, j) => {
    const x = LEFT + j * 110;
    const legendY = height - 14;
    parts.push(`<rect x="${x}" y="${legendY - 10}" width="10" height="10" fill="${COLORS[a] ?? '#444'}"/>`);
    parts.push(`<text x="${x + 14}" y="${legendY}">${escape(a)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export function writeChart(report, path) {
  writeFileSync(path, chartSvg(report));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = join(dirname(fileURLToPath(import.meta.url)), 'results');
  const input = process.argv[2] ?? join(results, 'latest.json');
  writeChart(JSON.parse(readFileSync(input, 'utf8')), process.argv[3] ?? join(results, 'latest.svg'));
}
