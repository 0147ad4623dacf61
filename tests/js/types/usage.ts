// Type-checked by `make test-types` (tsc --noEmit), never run: walloc.d.ts as a TypeScript user
// sees it through the package's "exports". Each @ts-expect-error line is a misuse the types
// must reject; should a declaration loosen (to any, say), tsc reports the directive as unused
// and the check fails.
import Walloc, {
  SLICE, TIER, WallocThreads, type GcStats, type Pointer, type ThreadHandoff, type TierMark, type WallocStats,
} from 'walloc-heap';

export async function usage(): Promise<number> {
  const heap: Walloc = await Walloc.instantiate({
    maxBytes: 64 << 20,
    throwOnOOM: false,
    tiers: { reserveBytes: 1 << 20, layout: [{ name: 'frame', share: 100, alignment: 16 }] },
  });
  const block: Pointer = heap.malloc(64);
  const bytes: Uint8Array = heap.view(block, 64);
  const floats: Float32Array = heap.view(block, 16, Float32Array);
  heap.copyIn(block, new Float64Array(8));
  const copied: Uint8Array = heap.copyOut(block, 32, 32);
  const tail: Float64Array = heap.view(block, 2, Float64Array, 48);
  heap.copy(block, block, 8, 0, 56);
  const unsubscribe: () => boolean = heap.onGrow(({ buffer, bytes: size }) => void [buffer.byteLength, size]);
  const stats: WallocStats = heap.stats();
  const mark: TierMark = heap.tierMark(TIER.SCENE);
  heap.tierRelease(mark);
  const owner: number = heap.memoryMap()[0];
  const isTier: boolean = owner === SLICE.TIER;
  const asset: Promise<Uint8Array> = heap.loadAsset(new URL('https://example.com/a.bin'));
  void [bytes, floats, copied, tail, unsubscribe, asset, isTier];

  const collected: Walloc = await Walloc.instantiate({ gc: { roots: 16 }, tiers: false });
  const node: Pointer = collected.gcAlloc(16);
  const previous: Pointer = collected.gcSetRoot(0, node);
  collected.view(node, 1, Uint32Array)[0] = collected.gcAlloc(8, { atomic: true });
  collected.gcCollect();
  const gc: GcStats = collected.gcStats();
  const isGc: boolean = collected.memoryMap()[node >>> 12] === SLICE.GC;
  void [previous, gc.heapBytes + collected.gcSize(node) + collected.stats().gcBytes, isGc];
  // @ts-expect-error atomic is a boolean, not a kind name
  collected.gcAlloc(8, { atomic: 'yes' });
  // @ts-expect-error root slots are counted, not named
  await Walloc.instantiate({ gc: { roots: '16' } });

  // @ts-expect-error a size is a number
  heap.malloc('64');
  // @ts-expect-error a view's constructor must make a typed array over a buffer
  heap.view(block, 4, Map);
  // @ts-expect-error an offset is a number of bytes
  heap.copyIn(block, bytes, '8');
  // @ts-expect-error a mark cannot be forged by assignment
  mark.offset = 0;
  // @ts-expect-error the default layout has no such tier
  void TIER.AUDIO;
  // @ts-expect-error the tier share is required
  await Walloc.instantiate({ tiers: { layout: [{ name: 'frame' }] } });
  // @ts-expect-error stats are numbers, not strings
  const wrong: string = stats.liveBytes;
  void wrong;

  heap.free(block);
  return stats.liveBytes + stats.tiers.length;
}

export async function threads(post: (handoff: ThreadHandoff) => void, received: ThreadHandoff): Promise<boolean> {
  const shared: WallocThreads = await WallocThreads.instantiate({ maximumBytes: 256 << 20, maxBytes: 64 << 20 });
  const asWalloc: Walloc = shared;
  post(shared.handoff());
  const worker: WallocThreads = await WallocThreads.join(received, { throwOnOOM: false });
  const shown: Uint32Array = worker.view(worker.malloc(16), 4, Uint32Array);
  shared.free(asWalloc.malloc(8));
  worker.exitThread();
  // @ts-expect-error a shared heap has no tiers
  await WallocThreads.instantiate({ tiers: { reserveBytes: 1 << 20 } });
  // @ts-expect-error the maximum is a number of bytes
  await WallocThreads.instantiate({ maximumBytes: '1 GiB' });
  // @ts-expect-error a handoff is what handoff() made
  await WallocThreads.join({ area: 65536 });
  // @ts-expect-error whether the heap stopped is the heap's to say
  shared.stopped = false;
  return shown.length === 4 && !shared.stopped;
}
