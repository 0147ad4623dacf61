// options.mjs - what the runners of bench/ share: the command line (`--quick`, one run at small
// sizes, or `--runs N`), a comma-separated list of workload names from an environment variable,
// the median of a run's samples, and the synthetic workloads with their counts.

// { quick, runs }: runs defaults to 5 and must be at least `fewestRuns` unless --quick.
export function parseOptions(argv, fewestRuns) {
  const options = { quick: false, runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') options.quick = true;
    else if (argv[i] === '--runs') options.runs = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]} (use --quick, --runs N)`);
  }
  if (options.quick) options.runs = 1;
  else if (!Number.isInteger(options.runs) || options.runs < fewestRuns) throw new Error(`--runs needs at least ${fewestRuns}`);
  return options;
}

// The workloads named in `filter` (all of them when it is empty); an unknown name throws.
export function selectWorkloads(workloads, filter) {
  if (!filter) return workloads;
  const names = filter.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!workloads.some((w) => w.name === name)) {
      throw new Error(`no workload ${name}; there are: ${workloads.map((w) => w.name).join(' ')}`);
    }
  }
  return workloads.filter((w) => names.includes(w.name));
}

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// The synthetic workloads (bench/*.c) at the counts that make a dlmalloc run take roughly 0.2 to
// 0.5 s on the 2-core reference machine (argument 1; `quick`: a smoke run), for bench/run.mjs
// and bench/wasm64/run.mjs, whose figures read side by side.
export const SYNTHETIC_WORKLOADS = [
  { name: 'random-actions', program: 'random-actions', args: ['3000000', '0'], quick: ['150000', '0'] },
  { name: 'random-actions-realloc', program: 'random-actions', args: ['3000000', '20'], quick: ['150000', '20'] },
  { name: 'churn', program: 'churn', args: ['6000000'], quick: ['300000'] },
  { name: 'realloc-growth', program: 'realloc-growth', args: ['2000000'], quick: ['100000'] },
  { name: 'big-buffers', program: 'big-buffers', args: ['80000'], quick: ['4000'] },
  { name: 'mixed', program: 'mixed', args: ['2000000'], quick: ['100000'] },
  { name: 'frag-soak', program: 'frag-soak', args: ['200'], quick: ['12'] },
];
