// churn.mjs - one thread's share of the multi-worker workload, for the demo's Workers mode
// (workers.mjs, worker.mjs) and tests/js/threads.test.mjs: allocation churn on a WallocThreads
// heap with blocks handed from thread to thread. Each thread allocates blocks of mixed sizes and
// stamps each one; it keeps some and frees them later, and hands others to the next thread of a
// ring through a queue in a SharedArrayBuffer. Every block is checked by the thread that frees
// it, which for a handed block is not the thread that wrote it: a block that two threads held at
// once, or that walloc handed out twice, shows as a wrong stamp.

const KEPT = 48; // blocks a thread keeps before it frees one of them
const HAND_EVERY = 3; // about one block in three goes to the next thread
const PROGRESS_EVERY = 1024;

/** How many bytes a Ring of `capacity` entries needs. */
export const ringBytes = (capacity) => 4 * (Ring.HEADER + 3 * capacity);

/**
 * A queue of blocks (pointer, size, stamp) from one producer thread to one consumer thread, in a
 * SharedArrayBuffer both hold. Neither side ever waits on the other: a full queue refuses the
 * block (the producer keeps it) and an empty one yields nothing, so a ring of threads cannot
 * deadlock. The producer closes it when it is done.
 */
export class Ring {
  static HEADER = 3; // words: head (the consumer's), tail (the producer's), closed

  constructor(buffer) {
    this.words = new Uint32Array(buffer);
    this.capacity = (this.words.length - Ring.HEADER) / 3;
  }

  /** Producer: queues the block; false when the queue is full. */
  push(ptr, size, stamp) {
    const tail = Atomics.load(this.words, 1);
    if (tail - Atomics.load(this.words, 0) >= this.capacity) return false;
    const at = Ring.HEADER + (tail % this.capacity) * 3;
    this.words[at] = ptr;
    this.words[at + 1] = size;
    this.words[at + 2] = stamp;
    Atomics.store(this.words, 1, tail + 1); // publishes the entry written above
    return true;
  }

  /** Consumer: the oldest block as [ptr, size, stamp], or null when the queue is empty. */
  shift() {
    const head = Atomics.load(this.words, 0);
    if (head === Atomics.load(this.words, 1)) return null;
    const at = Ring.HEADER + (head % this.capacity) * 3;
    const entry = [this.words[at], this.words[at + 1], this.words[at + 2]];
    Atomics.store(this.words, 0, head + 1);
    return entry;
  }

  close() { Atomics.store(this.words, 2, 1); }

  get closed() { return Atomics.load(this.words, 2) === 1; }
}

// A small deterministic generator, so a seed gives every run the same sizes and choices.
function random(seed) {
  let state = seed >>> 0 || 1;
  return (below) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * below);
  };
}

// Mostly small blocks, which threads serve from their own caches; some mid-size ones; now and
// then a large one, which takes walloc's lock and grows memory under the other threads.
function pickSize(rand) {
  const r = rand(1000);
  if (r < 800) return 8 + rand(249);
  if (r < 990) return 257 + rand(16128);
  return 65536 + rand(262144);
}

// The stamp's byte fills the block after its 8-byte header of stamp and size.
const fillByte = (stamp) => (stamp ^ (stamp >>> 8) ^ (stamp >>> 16)) & 255 || 1;

function write(heap, ptr, size, stamp) {
  const header = heap.view(ptr, 2, Uint32Array);
  header[0] = stamp;
  header[1] = size;
  heap.fill(ptr, fillByte(stamp), size - 8, 8);
}

// Throws unless the block holds the header and bytes its writer left.
function verify(heap, ptr, size, stamp) {
  const [seen, length] = heap.view(ptr, 2, Uint32Array);
  const block = `block 0x${ptr.toString(16)} of ${size} bytes`;
  if (seen !== stamp || length !== size) {
    throw new Error(`${block} was overwritten: its header says stamp ${seen} and size ${length}, not ${stamp} and ${size}`);
  }
  // Word by word (the body starts 8 bytes into an 8-aligned block), then the last few bytes: the
  // check reads every byte of every block, so it must cost little beside the allocation.
  const byte = fillByte(stamp);
  const words = heap.view(ptr, (size - 8) >>> 2, Uint32Array, 8);
  const word = Math.imul(byte, 0x01010101) >>> 0;
  let wrong = -1;
  for (let i = 0; i < words.length && wrong < 0; i++) if (words[i] !== word) wrong = 8 + 4 * i;
  const tail = heap.view(ptr, (size - 8) & 3, Uint8Array, 8 + 4 * words.length);
  for (let i = 0; i < tail.length && wrong < 0; i++) if (tail[i] !== byte) wrong = 8 + 4 * words.length + i;
  if (wrong >= 0) throw new Error(`${block} (stamp ${stamp}) was overwritten near byte ${wrong}`);
}

/**
 * In a worker (it waits for its producer at the end, which a page's main thread may not), runs
 * one thread's churn on `heap` (a WallocThreads object of the calling thread) until it made
 * `ops` allocations or performance.now() passed `stopAt`, then frees what it kept, closes
 * `outbound` and frees what `inbound` still brings until its producer closed it. `id` (0..255)
 * goes into every stamp; `seed` picks sizes and choices; `progress(counts)` is called now and
 * then. Returns the counts: allocations, bytes allocated, handed (to the next thread), received
 * (from the previous one) and freed. Throws on the first block found overwritten.
 */
export function churn(heap, { id, inbound, outbound, seed = id + 1, ops = Infinity, stopAt = Infinity, progress }) {
  const rand = random(seed);
  const counts = { allocations: 0, bytes: 0, handed: 0, received: 0, freed: 0 };
  const kept = [];
  const release = (ptr, size, stamp) => {
    verify(heap, ptr, size, stamp);
    heap.free(ptr);
    counts.freed++;
  };
  const receive = () => {
    for (let entry; (entry = inbound.shift());) {
      release(...entry);
      counts.received++;
    }
  };
  // The clock is read every 64 allocations: it costs more than an allocation.
  const more = () => counts.allocations < ops && (counts.allocations % 64 !== 0 || performance.now() < stopAt);
  try {
    while (more()) {
      receive();
      const size = pickSize(rand);
      const ptr = heap.malloc(size);
      const stamp = (((id & 255) << 24) | (counts.allocations & 0xffffff)) >>> 0;
      write(heap, ptr, size, stamp);
      counts.allocations++;
      counts.bytes += size;
      if (rand(HAND_EVERY) === 0 && outbound.push(ptr, size, stamp)) counts.handed++;
      else kept.push([ptr, size, stamp]);
      if (kept.length > KEPT) {
        const at = rand(kept.length);
        release(...kept[at]);
        kept[at] = kept[kept.length - 1];
        kept.pop();
      }
      if (progress && counts.allocations % PROGRESS_EVERY === 0) progress({ ...counts });
    }
    for (const block of kept.splice(0)) release(...block);
  } finally {
    outbound.close();
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!inbound.closed) {
    receive();
    Atomics.wait(pause, 0, 0, 1); // a worker may wait; the producer is still at work
  }
  receive();
  return counts;
}
