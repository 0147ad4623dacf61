// map.mjs - what the page's two modes draw alike: the memory map (one cell per 4 KiB slice of
// linear memory, coloured by owner, in the canvas's top MAP_HEIGHT rows), its legend, and the
// log lines of the on-page console.
import { SLICE, TIER } from '../js/walloc.mjs';

export const MAP_HEIGHT = 296;
const COLUMNS = 128;
export const TIER_USED = 8; // map codes 8.. are slices holding live blocks of tier 0..
export const COLORS = {
  [SLICE.UNUSED]: '#ffffff', [SLICE.STATIC]: '#9aa0a6', [SLICE.META]: '#6b4f9e', [SLICE.FREE]: '#e9edf1',
  [SLICE.SMALL]: '#4a90d9', [SLICE.LARGE]: '#1f7a70', [SLICE.TIER]: '#f4e6c8', [SLICE.GC]: '#f2b705',
  [TIER_USED + TIER.RENDER]: '#e76f51', [TIER_USED + TIER.SCENE]: '#3a9d4a', [TIER_USED + TIER.ENTITY]: '#c05299',
};
const LEGEND = [
  [SLICE.STATIC, 'static data + stack'], [SLICE.META, 'walloc meta'], [SLICE.SMALL, 'small blocks'],
  [SLICE.LARGE, 'large blocks (textures)'], [SLICE.GC, 'GC spans (scripted entities)'], [SLICE.FREE, 'free'],
  [SLICE.TIER, 'tier, recycled / not yet used'],
  [TIER_USED + TIER.RENDER, 'RENDER in use'], [TIER_USED + TIER.SCENE, 'SCENE in use'], [TIER_USED + TIER.ENTITY, 'ENTITY in use'],
];

/** The legend's HTML: one swatch per colour of the map. */
export function legendHtml() {
  return `<em>one cell = 4 KiB, ${COLUMNS * 4} KiB per row:</em> ` +
    LEGEND.map(([code, text]) => `<span style="--c:${COLORS[code]}">${text}</span>`).join('');
}

/** Clears the canvas and draws `codes` (one COLORS key per slice) as the map, cells as large as fit. */
export function drawMap(canvas, codes) {
  const ctx = canvas.getContext('2d');
  const rows = Math.ceil(codes.length / COLUMNS);
  const cell = Math.max(1, Math.min(5, Math.floor(MAP_HEIGHT / rows)));
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  codes.forEach((code, slice) => {
    ctx.fillStyle = COLORS[code];
    ctx.fillRect((slice % COLUMNS) * cell, Math.floor(slice / COLUMNS) * cell, cell, cell);
  });
}

/** Appends a line to the on-page console: kind 'pass', 'fail', 'info' or 'summary'. */
export function log(kind, text) {
  const line = document.createElement('div');
  line.className = kind;
  line.textContent = kind === 'pass' ? `[PASS] ${text}` : kind === 'fail' ? `[FAIL] ${text}` : kind === 'info' ? `       ${text}` : text;
  const out = document.getElementById('console');
  out.append(line);
  out.scrollTop = out.scrollHeight;
}
