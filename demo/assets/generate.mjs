// Writes the demo's assets (deterministic, committed) and manifest.json with each file's size
// and FNV-1a hash, which the demo checks after loading them into the SCENE tier.
// Run: node demo/assets/generate.mjs
import { writeFileSync } from 'node:fs';
import { fnv1a } from '../hash.mjs';

const dir = new URL('./', import.meta.url);

function mesh(rings, segments) {
  const vertices = new Float32Array(rings * segments * 3);
  let at = 0;
  for (let r = 0; r < rings; r++) {
    for (let s = 0; s < segments; s++) {
      const theta = (Math.PI * r) / (rings - 1);
      const phi = (2 * Math.PI * s) / segments;
      vertices[at++] = Math.sin(theta) * Math.cos(phi);
      vertices[at++] = Math.cos(theta);
      vertices[at++] = Math.sin(theta) * Math.sin(phi);
    }
  }
  return new Uint8Array(vertices.buffer);
}

function texture(size) {
  const pixels = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const at = (y * size + x) * 4;
      const check = ((x >> 3) ^ (y >> 3)) & 1;
      pixels.set([check ? 230 : 40, (x * 255) / size, (y * 255) / size, 255], at);
    }
  }
  return pixels;
}

const level = {
  name: 'courtyard',
  spawn: [0, 1, 0],
  rooms: Array.from({ length: 12 }, (_, i) => ({ id: i, doors: [(i + 1) % 12, (i + 5) % 12], lights: i % 3 })),
};

const assets = {
  'sphere.mesh': mesh(48, 64),
  'checker.rgba': texture(128),
  'level.json': new TextEncoder().encode(JSON.stringify(level, null, 1)),
  'noise.bin': Uint8Array.from({ length: 20000 }, (_, i) => (i * 2654435761) >>> 24),
};

const manifest = {};
for (const [name, bytes] of Object.entries(assets)) {
  writeFileSync(new URL(name, dir), bytes);
  manifest[name] = { bytes: bytes.length, fnv1a: fnv1a(bytes) };
}
writeFileSync(new URL('manifest.json', dir), `${JSON.stringify(manifest, null, 2)}\n`);
