// Runs the words example (rust/examples/words.rs) in node: writes a text into a buffer the
// module allocates from walloc and prints how many distinct words it holds.
//   node rust/words.mjs build/rust/words.wasm [text]
import { readFileSync } from 'node:fs';

const [file, text = 'A rose is a rose is a rose.'] = process.argv.slice(2);
const { instance: { exports } } = await WebAssembly.instantiate(readFileSync(file), {});
const bytes = new TextEncoder().encode(text);
const buffer = exports.text_buffer(bytes.length);
new Uint8Array(exports.memory.buffer, buffer, bytes.length).set(bytes);
const distinct = exports.distinct_words(buffer, bytes.length);
if (distinct < 0) throw new Error('walloc: heap check failed');
console.log(`${distinct} distinct words; ${exports.live_bytes()} bytes left live in walloc's heap`);
