// Load generator of bench/vote_storm.py: many audience clients in one Node process cast a vote storm.
//
// Not run by hand: the Python driver starts it (`node bench/node/vote_storm.mjs`) and talks to it in JSON
// lines. stdin gives, in turn:
//   1. the plan: {"url", "slug", "tokens": [...], "sources": [...], "questions": n, "votes": n,
//      "seconds": s, "seed": n, "connect_in_flight": n, "ack_timeout_s": s, "converge_timeout_s": s,
//      "result_path"}
//   2. {"go": true} once the driver has read the server's CPU time;
//   3. {"db_counts": {"<question id>": n}} once the driver has read the database after the last ack.
// stdout answers with {"phase": "ready", ...} (all clients connected, the storm's questions on every
// board), {"phase": "acked", ...} (every vote acknowledged or timed out) and {"phase": "done", ...} (raw
// latencies and per-client convergence times, written to the plan's `result_path`; the driver computes the
// statistics).
//
// Each client follows the live-room protocol of docs/realtime.md as far as vote counts go: it keeps the
// snapshot's `seq` and questions, applies `votes` and `audience_question` deltas in sequence order (holding
// early ones, asking `sync` when a gap lasts 500 ms, as static/js/live/client.js does), and notes when its
// counts last changed. Each client connects from its own loopback address (`localAddress`), because the
// server counts connections and the "network" rate limit per peer address.

import { io } from "socket.io-client";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { writeFileSync } from "node:fs";

const NAMESPACE = "/live";
const GAP_WAIT_MS = 500;
const TICK_MS = 2;

const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function receive() {
  const { value, done } = await input.next();
  if (done) throw new Error("the driver closed stdin");
  return JSON.parse(value);
}

function say(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A small seeded generator (mulberry32), so the order of the storm is the same on every backend.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Member {
  constructor(index, plan) {
    this.index = index;
    this.seq = null; // null until the first snapshot
    this.counts = new Map(); // audience question id -> votes, as this client shows them
    this.held = new Map(); // seq -> delta, deltas that arrived early
    this.gapTimer = null;
    this.lastChange = null;
    this.votesDeltas = 0;
    this.resyncs = 0;
    this.dropped = null; // why the connection was lost during the run, if it was
    this.closing = false;
    this.socket = io(plan.url + NAMESPACE, {
      auth: { event: plan.slug, audience: plan.tokens[index] },
      transports: ["websocket"],
      localAddress: plan.sources[index],
      reconnection: false,
      autoConnect: false,
      timeout: 30000,
    });
    this.socket.on("snapshot", (snapshot) => this.applySnapshot(snapshot));
    this.socket.on("delta", (delta) => this.receiveDelta(delta));
    this.socket.on("disconnect", (reason) => {
      if (!this.closing) this.dropped = reason; // e.g. "ping timeout", "transport close"
    });
  }

  connect() {
    return new Promise((resolve) => {
      const began = performance.now();
      const finish = (error) => {
        this.socket.off("connect", onConnect);
        this.socket.off("connect_error", onError);
        resolve({ ms: performance.now() - began, error });
      };
      const onConnect = () => finish(null);
      const onError = (err) => finish(err?.data?.code ?? err?.message ?? "connect_error");
      this.socket.on("connect", onConnect);
      this.socket.on("connect_error", onError);
      this.socket.connect();
    });
  }

  applySnapshot(snapshot) {
    const before = this.key();
    this.counts = new Map(snapshot.questions.map((q) => [q.id, q.votes]));
    this.seq = snapshot.seq;
    this.drain();
    this.noteChange(before);
  }

  receiveDelta(delta) {
    if (this.seq !== null && delta.seq <= this.seq) return;
    this.held.set(delta.seq, delta);
    if (this.seq === null) return; // kept until the snapshot
    const before = this.key();
    this.drain();
    this.noteChange(before);
    if (this.held.size && !this.gapTimer) {
      this.gapTimer = setTimeout(() => this.resync(), GAP_WAIT_MS);
    }
  }

  drain() {
    for (const seq of [...this.held.keys()]) if (seq <= this.seq) this.held.delete(seq);
    while (this.held.has(this.seq + 1)) {
      const delta = this.held.get(this.seq + 1);
      this.held.delete(this.seq + 1);
      this.apply(delta);
      this.seq = delta.seq;
    }
    if (!this.held.size && this.gapTimer) {
      clearTimeout(this.gapTimer);
      this.gapTimer = null;
    }
  }

  apply(delta) {
    if (delta.type === "votes") {
      this.votesDeltas += 1;
      for (const [id, votes] of Object.entries(delta.data.counts)) {
        if (this.counts.has(Number(id))) this.counts.set(Number(id), votes);
      }
    } else if (delta.type === "audience_question") {
      if (delta.data.removed) this.counts.delete(delta.data.id);
      else this.counts.set(delta.data.id, delta.data.votes);
    }
  }

  resync() {
    this.gapTimer = null;
    if (!this.held.size) return;
    this.resyncs += 1;
    this.socket.timeout(30000).emit("sync", {}, (err, ack) => {
      if (!err && ack?.ok) this.applySnapshot(ack.result);
    });
  }

  key() {
    return [...this.counts.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([id, votes]) => `${id}:${votes}`)
      .join(",");
  }

  noteChange(before) {
    if (this.key() !== before) this.lastChange = performance.now();
  }

  matches(target) {
    return Object.entries(target).every(([id, votes]) => this.counts.get(Number(id)) === votes);
  }

  call(action, payload, timeoutMs) {
    return new Promise((resolve) => {
      this.socket.timeout(timeoutMs).emit(action, payload, (err, ack) => resolve(err ? null : ack));
    });
  }

  close() {
    this.closing = true;
    this.socket.disconnect();
  }
}

async function connectAll(members, inFlight) {
  const results = new Array(members.length);
  let next = 0;
  async function worker() {
    while (next < members.length) {
      const index = next++;
      results[index] = await members[index].connect();
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, members.length) }, worker));
  return results;
}

async function waitFor(condition, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

async function main() {
  const plan = await receive();
  const ackTimeoutMs = plan.ack_timeout_s * 1000;
  const members = plan.tokens.map((_, index) => new Member(index, plan));

  const connectBegan = performance.now();
  const connections = await connectAll(members, plan.connect_in_flight);
  const connectSeconds = (performance.now() - connectBegan) / 1000;
  const connectFailures = {};
  for (const c of connections) if (c.error) connectFailures[c.error] = (connectFailures[c.error] ?? 0) + 1;
  const live = members.filter((_, i) => !connections[i].error);
  if (live.length < plan.questions) {
    say({ phase: "failed", reason: "too few clients connected", connect_failures: connectFailures });
    process.exit(1);
  }

  // The storm's questions: one asked by each of the first members (pre-moderation is off, so they are
  // published at once), then wait until every connected client shows all of them.
  const questionIds = [];
  for (let q = 0; q < plan.questions; q++) {
    const ack = await live[q].call(
      "audience.ask",
      { text: `Storm question ${q + 1}: what should the panel take up next?`, client_id: `storm-ask-${q}` },
      ackTimeoutMs,
    );
    if (!ack?.ok) {
      say({ phase: "failed", reason: "asking a question was refused", ack });
      process.exit(1);
    }
    questionIds.push(ack.result.question_id);
  }
  const onEveryBoard = await waitFor(
    () => live.every((m) => questionIds.every((id) => m.counts.has(id))),
    ackTimeoutMs,
  );
  say({
    phase: "ready",
    question_ids: questionIds,
    connected: live.length,
    on_every_board: onEveryBoard,
    connect_s: connectSeconds,
  });
  await receive(); // {"go": true}

  // The storm: vote k is member k % n voting up on question floor(k / n), sent at k * seconds / votes
  // after the start, in a seeded random order (so no question or member is served first on purpose).
  const random = seeded(plan.seed);
  const plannedVotes = [];
  for (let k = 0; k < plan.votes; k++) {
    plannedVotes.push({ member: live[k % live.length], question: questionIds[Math.floor(k / live.length)] });
  }
  for (let i = plannedVotes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [plannedVotes[i], plannedVotes[j]] = [plannedVotes[j], plannedVotes[i]];
  }
  const cpuBefore = process.cpuUsage();
  const outcomes = [];
  const perQuestionOk = Object.fromEntries(questionIds.map((id) => [id, 0]));
  let outstanding = 0;
  let maxSendLagMs = 0;
  let lastAck = null;
  const start = performance.now();
  const spacingMs = (plan.seconds * 1000) / plan.votes;
  for (let k = 0; k < plannedVotes.length; ) {
    const now = performance.now();
    while (k < plannedVotes.length && start + k * spacingMs <= now) {
      maxSendLagMs = Math.max(maxSendLagMs, now - (start + k * spacingMs));
      const { member, question } = plannedVotes[k];
      const outcome = { sent: performance.now(), latency: null, code: null, question };
      outcomes.push(outcome);
      outstanding += 1;
      const payload = { question_id: question, up: true, client_id: `storm-${plan.seed}-${k}` };
      member.socket.timeout(ackTimeoutMs).emit("audience.vote", payload, (err, ack) => {
        const at = performance.now();
        outstanding -= 1;
        if (err) {
          outcome.code = "timeout";
          return;
        }
        outcome.latency = at - outcome.sent;
        lastAck = lastAck === null ? at : Math.max(lastAck, at);
        if (ack?.ok) perQuestionOk[question] += 1;
        else outcome.code = ack?.error?.code ?? "unknown";
      });
      k += 1;
    }
    await sleep(TICK_MS);
  }
  const lastSend = outcomes.length ? outcomes[outcomes.length - 1].sent : performance.now();
  await waitFor(() => outstanding === 0, ackTimeoutMs + 1000);
  const stormCpu = process.cpuUsage(cpuBefore);
  say({
    phase: "acked",
    sent: outcomes.length,
    outstanding,
    per_question_ok: perQuestionOk,
    send_s: (lastSend - start) / 1000,
    first_send_to_last_ack_s: lastAck === null ? null : (lastAck - start) / 1000,
    max_send_lag_ms: maxSendLagMs,
    client_cpu_s: (stormCpu.user + stormCpu.system) / 1e6,
  });

  const { db_counts: dbCounts } = await receive();
  const converged = await waitFor(() => live.every((m) => m.matches(dbCounts)), plan.converge_timeout_s * 1000);
  const refused = {};
  for (const o of outcomes) if (o.code) refused[o.code] = (refused[o.code] ?? 0) + 1;
  // The raw figures are large (one number per vote and per client): they go to a file, the line says where.
  const figures = {
    all_converged: converged,
    ack_ms: outcomes.filter((o) => o.latency !== null && o.code === null).map((o) => o.latency),
    refused_ack_ms: outcomes.filter((o) => o.latency !== null && o.code !== null).map((o) => o.latency),
    refused,
    // Per connected client: ms from the last ack to the moment its counts last changed, when they now equal
    // the database's (counts only grow in this storm, so that is when they first equalled it); else null.
    converge_ms: live.map((m) =>
      m.matches(dbCounts) && lastAck !== null ? Math.max(0, (m.lastChange ?? lastAck) - lastAck) : null,
    ),
    // The same from the moment the last vote was sent: the "within 1 s of the last vote".
    converge_from_last_send_ms: live.map((m) =>
      m.matches(dbCounts) ? Math.max(0, (m.lastChange ?? lastSend) - lastSend) : null,
    ),
    before_last_ack: live.filter((m) => m.matches(dbCounts) && m.lastChange !== null && m.lastChange < lastAck)
      .length,
    dropped: live.reduce((found, m) => {
      if (m.dropped) found[m.dropped] = (found[m.dropped] ?? 0) + 1;
      return found;
    }, {}),
    resyncs: live.reduce((sum, m) => sum + m.resyncs, 0),
    votes_deltas_mean: live.reduce((sum, m) => sum + m.votesDeltas, 0) / live.length,
    connect_ms: connections.filter((c) => !c.error).map((c) => c.ms),
    connect_failures: connectFailures,
  };
  writeFileSync(plan.result_path, JSON.stringify(figures));
  say({ phase: "done", path: plan.result_path });
  for (const m of members) m.close();
  await sleep(200);
  process.exit(0);
}

main().catch((error) => {
  say({ phase: "failed", reason: String(error?.stack ?? error) });
  process.exit(1);
});
