// worker.mjs - one Web Worker of the page's Workers mode (workers.mjs): joins the page's
// WallocThreads heap, runs its share of the churn (churn.mjs) for the time it is given while
// posting its counts now and then, leaves the heap and posts its final counts, or the error that
// stopped it.
import { WallocThreads } from '../js/index.mjs';
import { churn, Ring } from './churn.mjs';

self.onmessage = async ({ data: { handoff, id, inbound, outbound, milliseconds } }) => {
  let heap;
  try {
    heap = await WallocThreads.join(handoff);
    const start = performance.now();
    const progress = (counts) => self.postMessage({ counts, elapsed: performance.now() - start });
    const counts = churn(heap, { id, inbound: new Ring(inbound), outbound: new Ring(outbound), stopAt: start + milliseconds, progress });
    const elapsed = performance.now() - start;
    heap.exitThread();
    self.postMessage({ counts, elapsed, done: true });
  } catch (error) {
    heap?.exitThread();
    self.postMessage({ error: `${error.name}: ${error.message}` });
  }
};
