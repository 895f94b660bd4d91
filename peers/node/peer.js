'use strict';
// The concbench peer in Node.js: one event loop; setTimeout for waits, http.get
// with one keep-alive Agent (maxSockets = W) for fetches, BigInt for power.
// CPU tasks run on the loop and block it, as in any event loop. Standard
// library only; the protocol is in peers/README.md.
const http = require('http');
const https = require('https');

const EXIT_USAGE = 2;
const EXIT_UNKNOWN_WORKLOAD = 3;
const POWER_MOD = (1n << 61n) - 1n; // the power check's modulus, as in the C workload

function fail(code, msg) {
  process.stderr.write(`concbench peer: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  if (argv.length === 1 && argv[0] === '--list') {
    process.stdout.write(`concbench-peer workloads=${Object.keys(WORKLOADS).join(',')}\n`);
    process.exit(0);
  }
  const job = { workload: null, params: {}, tasks: -1, workers: 0, urls: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (value === undefined) fail(EXIT_USAGE, `${key} needs a value`);
    if (key === '--workload') job.workload = value;
    else if (key === '--tasks') job.tasks = Number.parseInt(value, 10);
    else if (key === '--workers') job.workers = Number.parseInt(value, 10);
    else if (key === '--url') job.urls.push(value);
    else if (key === '--params') job.params = parseParams(value);
    else fail(EXIT_USAGE, `unexpected argument '${key}' (see peers/README.md)`);
  }
  if (!job.workload || !(job.tasks >= 0)) fail(EXIT_USAGE, '--workload and --tasks are required');
  if (!(job.workers > 0) || job.workers > job.tasks) job.workers = job.tasks;
  return job;
}

function parseParams(text) {
  const params = {};
  for (const item of text.split(';').filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq < 0) fail(EXIT_USAGE, `--params: '${item}' is not key=value`);
    params[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return params;
}

function num(job, key, def) {
  return key in job.params ? Number(job.params[key]) : def;
}

function countdown(n) {
  while (n > 0) n--;
  return n === 0;
}

function powmod(base, exp, mod) {
  let r = 1n;
  for (base %= mod; exp > 0n; exp >>= 1n, base = (base * base) % mod)
    if (exp & 1n) r = (r * base) % mod;
  return r;
}

function power(base, exp) {
  return base ** exp % POWER_MOD === powmod(base, exp, POWER_MOD);
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fetch(url, agents, size, timeoutMs) {
  const lib = url.startsWith('https:') ? https : http;
  const agent = url.startsWith('https:') ? agents.https : agents.http;
  return new Promise((resolve) => {
    const req = lib.get(url, { agent }, (res) => {
      let got = 0;
      res.on('data', (chunk) => { got += chunk.length; });
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode === 200 && (size === null || got === size));
      });
      res.on('error', () => resolve(false));
    });
    const timer = setTimeout(() => req.destroy(new Error('timed out')), timeoutMs);
    req.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

function makeCountdownTask(job) {
  const n = num(job, 'n', 100000000);
  // Above 2^53 a double's n-- stops changing n: the loop would never end.
  if (!Number.isSafeInteger(n)) fail(EXIT_USAGE, `countdown n=${job.params.n} is above 2^53`);
  return { task: async () => countdown(n), close: () => {} };
}

function makePowerTask(job) {
  const base = BigInt(job.params.base ?? 7777);
  const exp = BigInt(job.params.exp ?? 200000);
  return { task: async () => power(base, exp), close: () => {} };
}

function makeSleepTask(job) {
  const ms = num(job, 'ms', 100);
  const steps = num(job, 'steps', 1);
  return {
    task: async () => {
      for (let i = 0; i < steps; i++) await delay(ms);
      return true;
    },
    close: () => {},
  };
}

function makeHttpTask(job) {
  if (job.urls.length === 0) fail(EXIT_USAGE, 'the http workload needs at least one --url');
  const size = (job.params.url ?? '') === '' ? num(job, 'bytes', 16384) : null;
  const timeoutMs = num(job, 'timeout_ms', 30000);
  const opts = { keepAlive: true, maxSockets: job.workers === job.tasks ? Infinity : job.workers };
  const agents = { http: new http.Agent(opts), https: new https.Agent(opts) };
  return {
    task: async () => {
      for (const url of job.urls) if (!(await fetch(url, agents, size, timeoutMs))) return false;
      return true;
    },
    // Idle keep-alive sockets would keep the process alive after the run.
    close: () => { agents.http.destroy(); agents.https.destroy(); },
  };
}

// mix's chain, as the C workload's: x -> A x + C mod 2^64, checked against its closed form.
const LCG_A = 6364136223846793005n;
const LCG_C = 1442695040888963407n;
const MIX_CHUNK = 32; // BigInt links between two CPU clock reads, about 5 us here

function lcgJump(x, n) {
  let [a, c, ra, rc] = [LCG_A, LCG_C, 1n, 0n];
  for (; n > 0n; n >>= 1n) {
    if (n & 1n) [ra, rc] = [BigInt.asUintN(64, ra * a), BigInt.asUintN(64, rc * a + c)];
    [a, c] = [BigInt.asUintN(64, a * a), BigInt.asUintN(64, (a + 1n) * c)];
  }
  return BigInt.asUintN(64, ra * x + rc);
}

// Node 20 has no clock of the JS thread's own CPU (process.threadCpuUsage came in 23):
// process.cpuUsage() is the process's, which is the JS thread's but for V8's GC
// helpers and libuv's pool; a spinning JS thread is the one busy thread here, so the
// difference is small, and it credits the step with what they use (never less work
// than C's clock would ask, beyond that).
function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function makeMixTask(job) {
  const cpuUs = num(job, 'cpu_us', 1000);
  const waitMs = num(job, 'wait_ms', 9);
  const rounds = num(job, 'steps', 10);
  let next = 0n;
  const compute = (ch) => {
    const end = cpuMicros() + cpuUs;
    let x = ch.x;
    do {
      for (let i = 0; i < MIX_CHUNK; i++) x = BigInt.asUintN(64, x * LCG_A + LCG_C);
      ch.n += BigInt(MIX_CHUNK);
    } while (cpuMicros() < end);
    ch.x = x;
    return x === lcgJump(ch.seed, ch.n);
  };
  return {
    task: async () => {
      const seed = BigInt.asUintN(64, next++ * 0x9e3779b97f4a7c15n + 1n);
      const ch = { x: seed, seed, n: 0n };
      for (let r = 0; r < rounds; r++) {
        // The compute holds the loop, as a handler's work between awaits does; a part
        // of 0 is left out, as in C.
        if (cpuUs > 0 && !compute(ch)) return false;
        if (waitMs > 0) await delay(waitMs);
      }
      return true;
    },
    close: () => {},
  };
}

// The workloads this peer runs, in the order --list declares them: each makes one task
// of the job as an async function, and what to close after the run.
const WORKLOADS = {
  countdown: makeCountdownTask,
  power: makePowerTask,
  sleep: makeSleepTask,
  http: makeHttpTask,
  mix: makeMixTask,
};

function makeTask(job) {
  if (!Object.hasOwn(WORKLOADS, job.workload)) {
    fail(EXIT_UNKNOWN_WORKLOAD, `unknown workload '${job.workload}' (this peer runs: `
      + `${Object.keys(WORKLOADS).join(', ')})`);
  }
  return WORKLOADS[job.workload](job);
}

// W workers, each taking the next task until none is left.
async function runAll(job, task) {
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < job.tasks) {
      next++;
      if (await task()) ok++;
    }
  };
  await Promise.all(Array.from({ length: job.workers }, worker));
  return ok;
}

async function main() {
  const job = parseArgs(process.argv.slice(2));
  const { task, close } = makeTask(job);
  const t0 = process.hrtime.bigint();
  const ok = await runAll(job, task);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  close();
  process.stdout.write(`concbench-peer wall_s=${wall.toFixed(6)} ok=${ok} failed=${job.tasks - ok}\n`);
}

main().catch((e) => fail(1, e.stack || String(e)));
