// The live-room client: one connection, one numbered stream, snapshot + deltas, resync on gaps.
// The protocol is described in docs/realtime.md; this file is one implementation of it.
import { io } from "../../vendor/socket.io/socket.io.esm.min.js";

export const NAMESPACE = "/live";
const ACK_TIMEOUT_MS = 10000;
// With several server processes a later change can arrive before the one just before it (each process
// emits what it committed). A delta that skips a number waits this long for the missing one before the
// client gives up and asks for a fresh snapshot (docs/realtime.md, "Order").
export const GAP_WAIT_MS = 500;
// Refused with "busy" while the server admits a crowd: try again after 3 to 6 s.
const BUSY = "busy";
const BUSY_RETRY_MS = 3000;
// Captions a page keeps: what its panel and the projector's band show, and a little more.
const CAPTIONS_KEPT = 50;

// Apply one delta to a state object. Every delta *sets* a value, so applying it twice is harmless.
export function applyDelta(state, delta) {
  const data = delta.data;
  switch (delta.type) {
    case "session":
      state.session = { status: data.status, started_at: data.started_at, ended_at: data.ended_at };
      state.event.status = data.event_status;
      break;
    case "current_question":
      state.current_question_id = data.question_id;
      break;
    case "agenda":
      state.agenda = data.agenda;
      break;
    case "panel":
      state.panel = data.panel;
      break;
    case "floor":
      state.floor = data.floor;
      state.speaking = data.speaking;
      break;
    case "contribution": {
      const index = state.feed.findIndex((item) => item.id === data.id);
      if (index >= 0) state.feed[index] = data;
      else state.feed.push(data);
      break;
    }
    case "feed":
      state.feed_enabled = data.enabled;
      if (Array.isArray(data.items)) state.feed = data.items;
      break;
    case "audience_question": {
      const list = state.questions;
      const index = list.findIndex((q) => q.id === data.id);
      if (index >= 0) list.splice(index, 1);
      if (!data.removed) {
        list.push(data);
        list.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id));
      }
      break;
    }
    case "votes":
      // On a crowded board a question climbing into its head comes whole: add it if it is not held yet.
      addMissingQuestions(state, data.questions);
      for (const question of state.questions) {
        const count = data.counts[String(question.id)];
        if (count !== undefined) question.votes = count;
      }
      break;
    case "highlight":
      state.highlighted_question_id = data.question_id;
      break;
    case "projector":
      state.projector_keep = data.keep;
      break;
    case "caption": {
      const list = state.captions || (state.captions = []);
      const index = list.findIndex((item) => item.id === data.id);
      if (index >= 0) list[index] = data;
      else list.push(data);
      if (list.length > CAPTIONS_KEPT) list.splice(0, list.length - CAPTIONS_KEPT);
      break;
    }
    case "captions":
      state.captions_public = data.public;
      state.captions_on_projector = data.projector;
      if (Array.isArray(data.items)) state.captions = data.items;
      break;
    case "audience_settings":
      state.audience = data;
      break;
    case "poll": {
      state.polls = state.polls.filter((p) => p.id !== data.id);
      state.polls.push(data);
      state.polls.sort((a, b) => (a.opened_at < b.opened_at ? -1 : a.opened_at > b.opened_at ? 1 : a.id - b.id));
      break;
    }
    case "poll_tally": {
      const poll = state.polls.find((p) => p.id === data.poll_id);
      if (poll) {
        poll.tally = data.tally;
        poll.total = data.total;
      }
      break;
    }
    case "written_answer": {
      const list = state.written_answers || (state.written_answers = []);
      const index = list.findIndex(
        (item) => item.participant_id === data.participant_id && item.question_id === data.question_id,
      );
      if (data.id === null) {
        if (index >= 0) list.splice(index, 1);
      } else if (index >= 0) list[index] = data;
      else list.push(data);
      break;
    }
    default:
      // Unknown types come from a newer server; the next snapshot will carry their effect.
      break;
  }
}

// Private notices to an audience member about their own questions; they carry no sequence number.
// Questions from a `votes` delta or a `board.page` answer that this state does not hold yet, in board order.
export function addMissingQuestions(state, questions) {
  if (!questions || !questions.length) return;
  const held = new Set(state.questions.map((q) => q.id));
  for (const question of questions) if (!held.has(question.id)) state.questions.push(question);
  state.questions.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id));
}

export function applyNotice(state, notice) {
  const mine = state.mine || (state.mine = { blocked: false, questions: [], votes: [], poll_votes: {} });
  if (notice.type === "my_question") {
    const index = mine.questions.findIndex((q) => q.id === notice.question.id);
    if (index >= 0) mine.questions[index] = notice.question;
    else mine.questions.push(notice.question);
  } else if (notice.type === "blocked") {
    mine.blocked = notice.blocked;
  }
}

function randomId() {
  // crypto.randomUUID needs a secure context; getRandomValues works on plain http on a closed network too.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class LiveClient {
  constructor({ event, invite, onState, onStatus, timeoutMessage, connection }) {
    this.timeoutMessage = timeoutMessage || "";
    // Transports and reconnection backoff, as the server says (forum/live/regions.py connection_options).
    this.connection = connection || {};
    this.auth = { event };
    if (invite) this.auth.invite = invite;
    this.onState = onState;
    this.onStatus = onStatus || (() => {});
    this.state = null;
    this.seq = 0;
    this.clockOffset = 0;
    this.buffer = [];
    this.early = new Map(); // deltas that came before the one they follow, by sequence number
    this.gapTimer = null;
    this.syncing = false;
    this.awaitingSnapshot = true;
  }

  connect() {
    this.socket = io(NAMESPACE, { ...this.connection, auth: this.auth });
    this.socket.on("connect", () => this.onStatus("connected"));
    this.socket.on("disconnect", () => {
      // Until the next snapshot arrives, deltas are kept rather than applied to what we showed before.
      this.awaitingSnapshot = true;
      this.onStatus("reconnecting");
    });
    this.socket.on("connect_error", (error) => {
      if (error.data && error.data.code === BUSY) {
        // The server is letting a crowd in at a bounded pace: come back after a random few seconds (Socket.IO
        // does not retry a connection the server refused by itself).
        this.onStatus("reconnecting", error.data.message);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.socket.connect(), BUSY_RETRY_MS * (1 + Math.random()));
      } else if (error.data && error.data.message) this.onStatus("refused", error.data.message);
      else this.onStatus("reconnecting");
    });
    this.socket.on("snapshot", (snapshot) => this.applySnapshot(snapshot));
    this.socket.on("delta", (delta) => this.receive(delta));
    this.socket.on("notice", (notice) => {
      if (!this.state || notice.event_id !== this.state.event.id) return; // a snapshot will include it
      applyNotice(this.state, notice);
      this.onState(this.state);
    });
    return this;
  }

  now() {
    return Date.now() + this.clockOffset;
  }

  applySnapshot(snapshot) {
    this.state = snapshot;
    this.seq = snapshot.seq;
    this.clockOffset = Date.parse(snapshot.server_time) - Date.now();
    this.syncing = false;
    this.awaitingSnapshot = false;
    this.stopWaiting();
    const waiting = this.buffer.concat(Array.from(this.early.values()));
    this.buffer = [];
    this.early.clear();
    waiting.sort((a, b) => a.seq - b.seq).forEach((delta) => this.receive(delta, false));
    this.onState(this.state);
  }

  receive(delta, render = true) {
    if (!this.state || this.syncing || this.awaitingSnapshot) {
      this.buffer.push(delta); // deltas may overtake the snapshot; keep them for after it
      return;
    }
    // Another event's change, sent while this connection was being moved to the event its link names now.
    if (delta.event_id !== this.state.event.id) return;
    if (delta.seq <= this.seq) return; // already part of what we show
    if (delta.seq > this.seq + 1) {
      this.early.set(delta.seq, delta);
      if (!this.gapTimer) this.gapTimer = setTimeout(() => this.gapStayed(), GAP_WAIT_MS);
      return;
    }
    applyDelta(this.state, delta);
    this.seq = delta.seq;
    // The missing one came: apply what waited for it, in order.
    while (this.early.has(this.seq + 1)) {
      const next = this.early.get(this.seq + 1);
      this.early.delete(next.seq);
      applyDelta(this.state, next);
      this.seq = next.seq;
    }
    if (this.early.size === 0) this.stopWaiting();
    if (render) this.onState(this.state);
  }

  gapStayed() {
    this.gapTimer = null;
    if (this.early.size === 0) return;
    this.buffer.push(...this.early.values());
    this.early.clear();
    this.resync();
  }

  stopWaiting() {
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
  }

  resync() {
    if (this.syncing) return;
    this.syncing = true;
    this.act("sync", {}).then((ack) => {
      if (ack.ok) this.applySnapshot(ack.result);
      else {
        this.syncing = false;
        setTimeout(() => this.resync(), 2000);
      }
    });
  }

  // Send an action; resolves with the server's acknowledgement {ok, result} or {ok: false, error}.
  act(name, payload) {
    return new Promise((resolve) => {
      this.socket.timeout(ACK_TIMEOUT_MS).emit(name, payload || {}, (err, ack) => {
        if (err) {
          resolve({
            ok: false,
            error: { code: "timeout", message: this.timeoutMessage },
          });
        } else resolve(ack);
      });
    });
  }

  newClientId() {
    return randomId();
  }

  // Questions of a board page (board.page): added to the state when not held yet.
  addQuestions(questions) {
    if (this.state) addMissingQuestions(this.state, questions);
  }
}
