// Runs a wasm32-wasi program the way a shell runs a native one:
//   node tests/host/run.mjs [--env NAME=VALUE]... [--expect-trap TEXT] prog.wasm [args...]
// stdin, stdout and stderr are the program's; the exit status is the program's, or 134 after
// a trap (as after abort), with `trap: <message>` on stderr.
// With --expect-trap (death tests) the program's output is captured instead, and the run
// succeeds (status 0, silent) only when the program trapped and its stderr contains TEXT;
// otherwise it says why, shows the captured output and exits 1.

import { runWasi } from './wasi-host.mjs';

function usage(message) {
  process.stderr.write(`run.mjs: ${message}\n`);
  process.stderr.write('usage: node tests/host/run.mjs [--env NAME=VALUE]... [--expect-trap TEXT] prog.wasm [args...]\n');
  process.exit(2);
}

function parseCommandLine(argv) {
  const env = {};
  let expectTrap = null;
  let i = 0;
  while (i < argv.length && argv[i].startsWith('--')) {
    const option = argv[i];
    const value = argv[i + 1];
    if (value === undefined) usage(`${option} needs a value`);
    if (option === '--expect-trap') {
      expectTrap = value;
    } else if (option === '--env') {
      const equals = value.indexOf('=');
      if (equals < 1) usage(`--env wants NAME=VALUE, got ${value}`);
      env[value.slice(0, equals)] = value.slice(equals + 1);
    } else {
      usage(`unknown option ${option}`);
    }
    i += 2;
  }
  if (i >= argv.length) usage('no program given');
  return { env, expectTrap, program: argv[i], args: argv.slice(i + 1) };
}

function explainMissingTrap(result, expected) {
  const reason = result.trap === null
    ? `program exited with status ${result.exitCode} instead of trapping`
    : `program trapped (${result.trap}) but its stderr lacks ${JSON.stringify(expected)}`;
  process.stderr.write(`run.mjs: --expect-trap failed: ${reason}\n`);
  process.stderr.write(`--- captured stdout ---\n${result.stdout}\n--- captured stderr ---\n${result.stderr}\n`);
}

const { env, expectTrap, program, args } = parseCommandLine(process.argv.slice(2));

if (expectTrap !== null) {
  const result = await runWasi(program, { args, env });
  if (result.trap !== null && result.stderr.includes(expectTrap)) {
    process.exitCode = 0;
  } else {
    explainMissingTrap(result, expectTrap);
    process.exitCode = 1;
  }
} else {
  const result = await runWasi(program, { args, env, stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' });
  if (result.trap !== null) process.stderr.write(`trap: ${result.trap}\n`);
  // The OS keeps only the low 8 bits of a status: clamp so that e.g. exit(256) is not a pass.
  process.exitCode = Math.min(result.exitCode, 255);
}
