// Load generator for the fan-out benchmarks (bench/fanout.py): many socket.io-client connections from this
// one Node process, plus the "moderator" connection whose actions make the server broadcast, so the send time
// and every receive time come from this process's clock (performance.now()).
//
//   node bench/node/loadgen.mjs --config run.json
//
// run.json (every field but url optional):
//   {"url": "http://127.0.0.1:5000", "namespace": "/live", "mode": "fanout",
//    "clients": 500, "broadcasts": 20, "concurrency": 100, "deflate": false,
//    "audience_auth": [{...}, ...]      // one auth object per client (cycled); default {}
//    "moderator_auth": {...},           // auth of the connection that triggers the broadcasts
//    "prepare": ["session.start"],      // actions the moderator sends (with ack) before anything is measured
//    "actions": ["question.next", "question.previous"],  // cycled, one per broadcast
//    "kind": "current_question",        // the delta type that is timed
//    "gap_ms": 500, "broadcast_timeout_ms": 30000, "connect_timeout_ms": 30000,
//    "sources": 0, "source_base": "127.0.1.1",  // >0: spread clients over that many loopback source addresses
//    "control": true,                   // wait for a "go" line on stdin at each barrier (the driver samples there)
//    "server_pid": 1234,                // Linux: read this process's CPU time around each broadcast (/proc)
//    "reconnection_delay": 1000, "reconnection_delay_max": 5000, "randomization_factor": 0.5,
//    "storm_timeout_ms": 120000, "storm_broadcast_ms": 1000}
//
// Modes:
//   fanout  connect every client (bounded concurrency, no reconnection), then time `broadcasts` broadcasts:
//           from the moderator's emit to each client's receipt of the `kind` delta. Barriers: "ready" (the
//           moderator is connected and prepared), "connected", "broadcasts_done". With `server_pid`, the
//           server's CPU time is also read just before each emit and just after the last client got it.
//   captions connect every client, then post `rate_per_s` captions a second for `seconds` seconds to
//           `caption_url` (HTTP) and time each client's `caption` delta of each post (by its `seq`).
//   storm   connect every client with reconnection on (the delay options above), then, after the barrier
//           "storm_ready", the driver restarts the server on the same port; measured: time from the first
//           disconnect until every client is connected again with a fresh snapshot (or, against a server that
//           sends none, a fresh connect), and the latency of broadcasts the moderator sends every
//           `storm_broadcast_ms` while the storm lasts (to the clients that are connected at the time).
//           Barriers: "storm_ready" (every client connected), "storm_done" (every client back, or the timeout).
//
// Output: one JSON line per barrier on stdout ({"phase": ...}), and a last line {"phase": "result", ...}.
// Progress and errors go to stderr.

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const DEFAULTS = {
  namespace: "/live",
  mode: "fanout",
  clients: 100,
  broadcasts: 20,
  concurrency: 100,
  deflate: false,
  audience_auth: [{}],
  moderator_auth: {},
  prepare: [],
  actions: ["question.next", "question.previous"],
  kind: "current_question",
  gap_ms: 500,
  broadcast_timeout_ms: 30000,
  connect_timeout_ms: 30000,
  sources: 0,
  source_base: "127.0.1.1",
  control: false,
  reconnection_delay: 1000,
  reconnection_delay_max: 5000,
  randomization_factor: 0.5,
  storm_timeout_ms: 120000,
  storm_broadcast_ms: 1000,
  server_pid: null,
  clock_ticks: 100, // USER_HZ of /proc/PID/stat (getconf CLK_TCK; 100 on Linux)
};

function readConfig(argv) {
  const at = argv.indexOf("--config");
  if (at < 0 || !argv[at + 1]) {
    process.stderr.write("usage: node loadgen.mjs --config run.json\n");
    process.exit(2);
  }
  const config = { ...DEFAULTS, ...JSON.parse(readFileSync(argv[at + 1], "utf8")) };
  if (!config.url) throw new Error("config needs url");
  if (config.clients < 1 || config.clients > 50000) throw new Error("clients must be 1..50000");
  if (config.broadcasts < 0 || config.broadcasts > 1000) throw new Error("broadcasts must be 0..1000");
  return config;
}

const config = readConfig(process.argv);
const started = performance.now();
const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const note = (text) => process.stderr.write(`[loadgen ${((now() - started) / 1000).toFixed(1)}s] ${text}\n`);

// --- the driver's barriers --------------------------------------------------------------------------------

const goLines = [];
let goWaiter = null;
if (config.control) {
  createInterface({ input: process.stdin }).on("line", (line) => {
    if (goWaiter) {
      const resolve = goWaiter;
      goWaiter = null;
      resolve(line.trim());
    } else {
      goLines.push(line.trim());
    }
  });
}

/** Print a barrier line; with `control`, wait until the driver answers on stdin. */
async function barrier(phase, extra = {}) {
  say({ phase, t_ms: Math.round(now() - started), ...extra });
  if (!config.control) return;
  if (goLines.length) return goLines.shift();
  return new Promise((resolve) => {
    goWaiter = resolve;
  });
}

// --- statistics ------------------------------------------------------------------------------------------

/** Nearest-rank percentile (share in 0..1), as bench/common.py's percentile(); null for no values. */
function percentile(values, share) {
  if (!values.length) return null;
  const ordered = [...values].sort((a, b) => a - b);
  return ordered[Math.max(1, Math.ceil(share * ordered.length)) - 1];
}

const round1 = (value) => (value === null || value === undefined ? null : Math.round(value * 10) / 10);

function summary(values) {
  return {
    count: values.length,
    p50: round1(percentile(values, 0.5)),
    p90: round1(percentile(values, 0.9)),
    p99: round1(percentile(values, 0.99)),
    max: round1(values.length ? values.reduce((a, b) => (a > b ? a : b)) : null),
  };
}

/** CPU seconds the server has used so far (user + system), or null without `server_pid`. `server_pid` may
 * be a list: several worker processes serving together (FORUM_WORKERS), whose times are added up. */
function serverCpu() {
  if (!config.server_pid) return null;
  const pids = Array.isArray(config.server_pid) ? config.server_pid : [config.server_pid];
  try {
    let total = 0;
    for (const pid of pids) {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / config.clock_ticks;
    }
    return total;
  } catch {
    return null;
  }
}

// --- connections -----------------------------------------------------------------------------------------

function sourceAddress(index) {
  if (!config.sources) return undefined;
  const parts = config.source_base.split(".").map(Number);
  const number = ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3] + (index % config.sources);
  return [24, 16, 8, 0].map((shift) => (number >>> shift) & 255).join(".");
}

function socketOptions(auth, index, reconnection) {
  return {
    transports: ["websocket"],
    forceNew: true, // one engine (one WebSocket) per client, not one shared manager
    auth,
    reconnection,
    reconnectionDelay: config.reconnection_delay,
    reconnectionDelayMax: config.reconnection_delay_max,
    randomizationFactor: config.randomization_factor,
    timeout: config.connect_timeout_ms,
    // engine.io-client offers permessage-deflate by default in Node ({threshold: 1024}), as browsers do.
    perMessageDeflate: config.deflate ? { threshold: 1024 } : false,
    localAddress: sourceAddress(index),
  };
}

/** One connection and what it saw. */
class Client {
  constructor(index, auth, reconnection) {
    this.index = index;
    this.connectedAt = null;
    this.connectMs = null;
    this.failure = null;
    this.snapshots = 0;
    this.connects = 0;
    this.disconnects = 0;
    this.lastSnapshotAt = null;
    this.lastConnectAt = null;
    this.onKind = null; // set by the measurement that waits for the timed delta
    this.socket = io(config.url + config.namespace, { ...socketOptions(auth, index, reconnection), autoConnect: false });
    this.socket.on("snapshot", () => {
      this.snapshots += 1;
      this.lastSnapshotAt = now();
    });
    this.socket.on("delta", (delta) => {
      if (this.onKind && delta && delta.type === config.kind) this.onKind(this, delta);
    });
    this.socket.on("connect", () => {
      this.connects += 1;
      this.lastConnectAt = now();
    });
    this.socket.on("disconnect", () => {
      this.disconnects += 1;
    });
  }

  /** Connect once; resolves when `connect` fired or the attempt failed (never rejects). */
  open() {
    const began = now();
    return new Promise((resolve) => {
      const done = (failure) => {
        this.socket.off("connect", onConnect);
        this.socket.off("connect_error", onError);
        clearTimeout(timer);
        if (failure) this.failure = failure;
        else {
          this.connectedAt = now();
          this.connectMs = this.connectedAt - began;
        }
        resolve(this);
      };
      const onConnect = () => done(null);
      const onError = (error) => {
        const code = error && error.data && error.data.code;
        if (!this.socket.io.opts.reconnection || code) done(code || (error && error.message) || "connect_error");
      };
      const timer = setTimeout(() => done("timeout"), config.connect_timeout_ms + 1000);
      this.socket.on("connect", onConnect);
      this.socket.on("connect_error", onError);
      this.socket.connect();
    });
  }

  close() {
    this.socket.io.opts.reconnection = false;
    this.socket.io.reconnection(false);
    this.socket.disconnect();
  }
}

/** Open `clients` connections, at most `concurrency` attempts at a time. */
async function connectAll(reconnection) {
  const clients = [];
  for (let index = 0; index < config.clients; index += 1) {
    const auth = config.audience_auth[index % config.audience_auth.length];
    clients.push(new Client(index, auth, reconnection));
  }
  const began = now();
  let next = 0;
  let lastReport = began;
  const worker = async () => {
    while (next < clients.length) {
      const client = clients[next];
      next += 1;
      await client.open();
      if (now() - lastReport > 2000) {
        lastReport = now();
        note(`${clients.filter((c) => c.connectedAt !== null).length} of ${clients.length} connected`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.concurrency, clients.length) }, worker));
  const connected = clients.filter((c) => c.failure === null);
  const failures = {};
  for (const client of clients) {
    if (client.failure !== null) failures[client.failure] = (failures[client.failure] || 0) + 1;
  }
  const lastConnected = connected.length ? Math.max(...connected.map((c) => c.connectedAt)) : began;
  return {
    clients,
    connected,
    stats: {
      clients: clients.length,
      connected: connected.length,
      failures,
      connect_all_s: Math.round((lastConnected - began) / 10) / 100,
      connect_ms: summary(connected.map((c) => c.connectMs)),
    },
  };
}

async function openModerator() {
  const moderator = new Client(-1, config.moderator_auth, config.mode === "storm");
  await moderator.open();
  if (moderator.failure !== null) throw new Error(`the moderator could not connect: ${moderator.failure}`);
  // The moderator's own deltas are not timed.
  return moderator;
}

function act(moderator, action, payload = {}) {
  return new Promise((resolve) => {
    moderator.socket.timeout(config.broadcast_timeout_ms).emit(action, payload, (error, ack) => {
      resolve(error ? { ok: false, error: { code: "ack_timeout" } } : ack);
    });
  });
}

// --- measurements ----------------------------------------------------------------------------------------

/** One broadcast: emit the action, wait until every client got the timed delta (bounded). */
async function timeBroadcast(moderator, clients, action) {
  const latencies = new Map();
  let lastAt = null;
  for (const client of clients) {
    client.onKind = (c) => {
      if (!latencies.has(c.index)) {
        lastAt = now();
        latencies.set(c.index, lastAt - sent);
      }
    };
  }
  const cpuBefore = serverCpu();
  const sent = now();
  const ack = await act(moderator, action);
  const ackMs = now() - sent;
  const deadline = sent + config.broadcast_timeout_ms;
  while (latencies.size < clients.length && now() < deadline) await sleep(2);
  const cpuAfter = serverCpu();
  for (const client of clients) client.onKind = null;
  const values = [...latencies.values()];
  return {
    action,
    ok: Boolean(ack && ack.ok !== false),
    ack_code: ack && ack.ok === false ? ack.error && ack.error.code : null,
    ack_ms: ackMs,
    received: values.length,
    missing: clients.length - values.length,
    latencies: values,
    all_ms: values.length ? Math.max(...values) : null,
    window_ms: (lastAt ?? now()) - sent,
    server_cpu_s: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  };
}

/** The size of the engine.io packet that carries the timed delta, as one client receives it (no framing). */
function watchFrame(client) {
  const seen = { bytes: null };
  const engine = client.socket.io.engine;
  const onPacket = (packet) => {
    if (seen.bytes === null && packet.type === "message" && typeof packet.data === "string") {
      if (packet.data.includes(`"${config.kind}"`)) seen.bytes = Buffer.byteLength(packet.data) + 1;
    }
  };
  engine.on("packet", onPacket);
  return seen;
}

async function broadcasts(moderator, clients, count) {
  const results = [];
  let direction = 0;
  const frame = clients.length ? watchFrame(clients[0]) : { bytes: null };
  for (let number = 0; number < count; number += 1) {
    let action = config.actions[(number + direction) % config.actions.length];
    let result = await timeBroadcast(moderator, clients, action);
    if (!result.ok && result.ack_code === "no_such_question") {
      // At either end of the agenda: go the other way (nothing was broadcast).
      direction += 1;
      action = config.actions[(number + direction) % config.actions.length];
      result = await timeBroadcast(moderator, clients, action);
    }
    results.push(result);
    if (!result.ok) note(`broadcast ${number + 1} refused: ${result.ack_code}`);
    await sleep(config.gap_ms);
  }
  const all = results.flatMap((r) => r.latencies);
  const windows = results.filter((r) => r.server_cpu_s !== null);
  const windowCpu = windows.reduce((sum, r) => sum + r.server_cpu_s, 0);
  return {
    // Server CPU from each emit until the last client had the delta (which may include a few of the
    // clients' pings), summed over the broadcasts; /proc counts in 10 ms ticks.
    server_cpu_ms_per_broadcast_window: windows.length ? round1((1000 * windowCpu) / windows.length) : null,
    server_cpu_ms_window: summary(windows.map((r) => 1000 * r.server_cpu_s)),
    broadcasts: results.length,
    refused: results.filter((r) => !r.ok).length,
    missing: results.reduce((sum, r) => sum + r.missing, 0),
    frame_bytes: frame.bytes,
    per_client_ms: summary(all),
    all_received_ms: summary(results.filter((r) => r.all_ms !== null).map((r) => r.all_ms)),
    ack_ms: summary(results.map((r) => r.ack_ms)),
  };
}

async function fanout() {
  const moderator = await openModerator();
  for (const action of config.prepare) {
    const ack = await act(moderator, action);
    if (ack && ack.ok === false) note(`prepare ${action}: ${JSON.stringify(ack.error)}`);
  }
  await barrier("ready");
  const cpuBefore = process.cpuUsage();
  const { clients, connected, stats } = await connectAll(false);
  const connectCpu = process.cpuUsage(cpuBefore);
  note(`${stats.connected} connected in ${stats.connect_all_s} s; failures ${JSON.stringify(stats.failures)}`);
  await barrier("connected", stats);
  const broadcastCpuBefore = process.cpuUsage();
  const measured = await broadcasts(moderator, connected, config.broadcasts);
  const broadcastCpu = process.cpuUsage(broadcastCpuBefore);
  const dropped = connected.filter((c) => c.disconnects > 0).length;
  await barrier("broadcasts_done", { dropped });
  for (const client of clients) client.close();
  moderator.close();
  say({
    phase: "result",
    mode: "fanout",
    deflate: config.deflate,
    ...stats,
    ...measured,
    dropped,
    loadgen_cpu_connect_s: (connectCpu.user + connectCpu.system) / 1e6,
    loadgen_cpu_broadcast_s: (broadcastCpu.user + broadcastCpu.system) / 1e6,
  });
}

async function storm() {
  const moderator = await openModerator();
  for (const action of config.prepare) await act(moderator, action);
  const { clients, connected, stats } = await connectAll(true);
  await barrier("storm_ready", stats);
  // The driver restarts the server now. Wait for the first disconnect, bounded.
  const waitDeadline = now() + 30000;
  while (!connected.some((c) => c.disconnects > 0) && now() < waitDeadline) await sleep(5);
  const dropAt = now();
  const before = new Map(connected.map((c) => [c.index, c.snapshots]));
  const fresh = (c) => (c.snapshots > before.get(c.index) || (c.lastConnectAt !== null && c.lastConnectAt > dropAt));
  const isBack = (c) => c.socket.connected && fresh(c);
  const during = [];
  const duringLatencies = [];
  const deadline = dropAt + config.storm_timeout_ms;
  let nextBroadcast = now() + config.storm_broadcast_ms;
  let number = 0;
  while (!connected.every(isBack) && now() < deadline) {
    if (now() >= nextBroadcast && moderator.socket.connected) {
      const present = connected.filter(isBack);
      const action = config.actions[number % config.actions.length];
      number += 1;
      const result = await timeBroadcast(moderator, present, action);
      if (result.ok) {
        duringLatencies.push(...result.latencies);
        const { latencies, ...rest } = result;
        during.push({ ...rest, present: present.length, latency_ms: summary(latencies) });
      } else if (result.ack_code === "no_such_question") {
        number += 1; // at an end of the agenda: the other action next time
      }
      nextBroadcast = now() + config.storm_broadcast_ms;
    }
    await sleep(20);
  }
  const back = connected.filter(isBack);
  const backMs = back.map((c) => Math.max(c.lastSnapshotAt || 0, c.lastConnectAt || 0) - dropAt);
  await barrier("storm_done");
  for (const client of clients) client.close();
  moderator.close();
  say({
    phase: "result",
    mode: "storm",
    ...stats,
    back: back.length,
    all_back_s: backMs.length ? Math.round(Math.max(...backMs)) / 1000 : null,
    back_ms: summary(backMs),
    broadcasts_during: during.length,
    during_per_client_ms: summary(duringLatencies),
    during_missing: during.reduce((sum, r) => sum + r.missing, 0),
    during_detail: during,
  });
}

/** Captions: a captioner posts `rate_per_s` captions a second for `seconds` seconds to the caption link (HTTP,
 * from this process, so post and receipt share one clock); each client times its `caption` delta of each. */
async function captions() {
  await barrier("ready");
  const { clients, connected, stats } = await connectAll(false);
  note(`${stats.connected} connected in ${stats.connect_all_s} s; failures ${JSON.stringify(stats.failures)}`);
  await barrier("connected", stats);
  const total = Math.round(config.rate_per_s * config.seconds);
  const sentAt = new Map();
  const latencies = [];
  const got = new Map(); // seq -> clients that received it
  for (const client of connected) {
    client.onKind = (c, delta) => {
      const seq = delta.data && delta.data.seq;
      const at = sentAt.get(seq);
      if (at === undefined) return;
      latencies.push(now() - at);
      got.set(seq, (got.get(seq) || 0) + 1);
    };
  }
  const posts = [];
  const postMs = [];
  const refused = {};
  const cpuBefore = serverCpu();
  const loadgenBefore = process.cpuUsage();
  const began = now();
  for (let n = 1; n <= total; n += 1) {
    const due = began + ((n - 1) * 1000) / config.rate_per_s;
    if (due > now()) await sleep(due - now());
    const at = now();
    sentAt.set(n, at);
    posts.push(
      fetch(`${config.caption_url}?seq=${n}&lang=ko-KR`, {
        method: "POST",
        headers: { "Content-Type": "text/plain; charset=utf-8" },
        body: `자막 ${n}: 국제적인 합의가 필요한지에 대해 이야기하고 있습니다.`,
      })
        .then((response) => {
          postMs.push(now() - at);
          if (response.status !== 200) refused[response.status] = (refused[response.status] || 0) + 1;
        })
        .catch(() => {
          refused.network = (refused.network || 0) + 1;
        }),
    );
  }
  await Promise.all(posts);
  const deadline = now() + config.broadcast_timeout_ms;
  while (latencies.length < total * connected.length && now() < deadline) await sleep(5);
  const streamS = (now() - began) / 1000;
  const cpuAfter = serverCpu();
  const loadgenCpu = process.cpuUsage(loadgenBefore);
  for (const client of connected) client.onKind = null;
  const dropped = connected.filter((c) => c.disconnects > 0).length;
  for (const client of clients) client.close();
  say({
    phase: "result",
    mode: "captions",
    ...stats,
    captions: total,
    rate_per_s: config.rate_per_s,
    refused,
    post_ms: summary(postMs),
    per_client_ms: summary(latencies),
    received: latencies.length,
    missing: total * connected.length - latencies.length,
    dropped,
    stream_s: Math.round(streamS * 100) / 100,
    server_cpu_s: cpuBefore === null || cpuAfter === null ? null : Math.round((cpuAfter - cpuBefore) * 100) / 100,
    loadgen_cpu_s: (loadgenCpu.user + loadgenCpu.system) / 1e6,
  });
}

const run = { storm, fanout, captions }[config.mode] || fanout;
run()
  .then(() => process.exit(0))
  .catch((error) => {
    say({ phase: "error", message: String(error && error.stack ? error.stack : error) });
    process.exit(1);
  });
