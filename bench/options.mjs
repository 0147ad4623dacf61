// options.mjs - what bench/run.mjs, bench/gc/run.mjs and bench/emscripten/run.mjs share: the
// command line (`--quick`, one run at small sizes, or `--runs N`), a comma-separated list of
// workload names from an environment variable, and the median of a run's samples.

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
