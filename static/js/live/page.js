// A live page: one connection, the live regions rendered from its state, forms sent over the socket.
// Everything a person reads comes from the server: the templates, and the texts and rules in the page's
// `live-ui` block (forum/live/regions.py `page_context`).
import { askToConfirm } from "../confirm.js";
import { LiveClient } from "./client.js";
import { Regions, formIsDirty, markSaved } from "./regions.js";

function readJson(id, fallback) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : fallback;
}

const DRAFT_PREFIX = "forum-draft";
const CAPTIONS_KEY = "forum-captions";

function rememberedCaptions(fallback) {
  try {
    const kept = localStorage.getItem(CAPTIONS_KEY);
    return kept === null ? fallback : kept === "1";
  } catch {
    return fallback;
  }
}

export class LivePage {
  constructor(root, { onDone } = {}) {
    this.root = root;
    this.ui = readJson("live-ui", {});
    this.local = readJson("live-local", {});
    this.local.captions = rememberedCaptions(Boolean(this.local.captions));
    this.onDone = onDone || (() => {});
    this.messages = this.ui.messages || {};
    this.status = root.querySelector("[data-action-status]");
    this.connection = root.querySelector("[data-connection]");
    this.announcer = root.querySelector("[data-announcer]");
    this.facts = null; // what the announcer compares each new state with
    this.regions = new Regions(root, {
      ui: this.ui,
      local: this.local,
      catalogue: this.ui.catalogue,
      onKept: (form, fresh) => this.noteKept(form, fresh),
    });
    this.client = new LiveClient({
      event: root.dataset.event,
      invite: root.dataset.invite || null,
      onState: () => this.schedule(),
      onStatus: (status, message) => this.showConnection(status, message),
      timeoutMessage: this.messages.timeout,
      connection: this.ui.connection,
    });
    this.frame = null;
    // What a form is doing lives here, not in attributes a morph could rewrite: a form being sent, and the
    // client id of a submission until the server has answered it (a retry reuses it; an edit gets a new one).
    this.sending = new WeakSet();
    this.clientIds = new WeakMap();
  }

  start() {
    this.client.connect();
    this.root.addEventListener("submit", (event) => this.submit(event));
    this.root.addEventListener("input", (event) => this.typed(event.target));
    this.root.addEventListener("click", (event) => this.click(event));
    setInterval(() => this.regions.tick(this.client.now()), 1000);
    return this;
  }

  // Many deltas in one moment become one render.
  schedule() {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.render();
    });
  }

  render() {
    if (!this.client.state) return;
    this.regions.render(this.client.state, this.client.now());
    this.restoreDrafts();
    this.noticeChanges(this.client.state);
    // What the page shows is current as of this number of its stream (tests and support read it).
    this.root.dataset.seq = String(this.client.seq);
  }

  // A caption run becomes a draft in the scribe's form: its words (after what is typed there already) and its
  // speaker, to correct before recording. Nothing is sent until the scribe presses Record.
  draftFromCaptions(runId) {
    const state = this.client.state;
    const form = this.root.querySelector("form#capture");
    const field = form && form.querySelector("textarea[name=text]");
    if (!state || !field) return;
    const run = (state.captions || []).filter((caption) => caption.run_id === runId);
    if (!run.length) return;
    const words = run.map((caption) => caption.text).join(" ");
    field.value = field.value.trim() ? `${field.value.trimEnd()}\n${words}` : words;
    const speaker = form.querySelector("select[name=participant_id]");
    const who = run[0].participant_id;
    if (speaker && who !== null && [...speaker.options].some((option) => option.value === String(who))) {
      speaker.value = String(who);
      speaker.dispatchEvent(new Event("change", { bubbles: true }));
    }
    field.dispatchEvent(new Event("input", { bubbles: true })); // kept as a draft like typed text
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
  }

  // The connection indicator says only whether updates arrive; the event's own state is the status region.
  showConnection(status, message) {
    if (!this.connection) return;
    const texts = this.messages.connection || {};
    this.connection.textContent = status === "refused" ? message || texts.refused : texts[status] || "";
    this.connection.dataset.status = status;
  }

  // --- The announcer: one polite live region, and only four things said in it -----------------------------
  // A question arriving in the moderator's queue, a poll opening (for those who answer polls), one's own
  // question approved or rejected, the session ending. Timers, vote counts and everything else change on
  // screen without a word. The texts come from the server (ui.messages), in the page's language.

  factsOf(state) {
    const queue = (this.ui.statuses && this.ui.statuses.queue) || [];
    return {
      ended: state.session.status === "ended" || ["ended", "published"].includes(state.event.status),
      openPolls: new Set((state.polls || []).filter((p) => p.status === "open").map((p) => p.id)),
      waiting: new Set((state.questions || []).filter((q) => queue.includes(q.status)).map((q) => q.id)),
      mine: new Map(((state.mine || {}).questions || []).map((q) => [q.id, q.status])),
    };
  }

  noticeChanges(state) {
    const now = this.factsOf(state);
    const before = this.facts;
    this.facts = now;
    if (!before) return; // what the page showed first counts as known
    const texts = [];
    const queue = (this.ui.statuses && this.ui.statuses.queue) || [];
    if ((this.ui.caps || []).includes("moderate") && [...now.waiting].some((id) => !before.waiting.has(id))) {
      texts.push(this.messages.new_waiting);
    }
    if (this.ui.page === "audience" && [...now.openPolls].some((id) => !before.openPolls.has(id))) {
      texts.push(this.messages.poll_opened);
    }
    for (const [id, status] of now.mine) {
      const was = before.mine.get(id);
      if (was === status) continue;
      if (status === "approved" && queue.includes(was)) texts.push(this.messages.question_approved);
      else if (status === "rejected" && was !== undefined) texts.push(this.messages.question_rejected);
    }
    if (now.ended && !before.ended) texts.push(this.messages.session_ended);
    const said = [...new Set(texts.filter(Boolean))];
    if (said.length) this.announce(said.join(" "));
  }

  announce(text) {
    if (!this.announcer) return;
    // The same words twice in a row are still read out: empty the region first, then fill it.
    this.announcer.textContent = "";
    clearTimeout(this.announcing);
    this.announcing = setTimeout(() => {
      this.announcer.textContent = text;
    }, 100);
  }

  say(text, outcome) {
    if (!this.status) return;
    this.status.textContent = text;
    this.status.dataset.outcome = outcome;
    clearTimeout(this.quiet);
    // A confirmation has been read out and seen after a few seconds; an error stays until the next action.
    if (outcome === "ok") {
      this.quiet = setTimeout(() => {
        if (this.status.textContent === text) this.status.textContent = "";
      }, 8000);
    }
  }

  async submit(event) {
    const form = event.target.closest("form[data-action]");
    if (!form) return;
    event.preventDefault();
    if (this.sending.has(form)) return; // a double tap sends once
    const submitter = event.submitter || form.querySelector("button[type=submit]");
    if (form.hasAttribute("data-confirm") && !(await askToConfirm(form, submitter))) return;
    const payload = Object.fromEntries(new FormData(form).entries());
    delete payload.csrf_token; // HTTP only; the socket was checked at connect
    delete payload.ask_first; // answered in the dialog just now
    if (form.hasAttribute("data-client-id")) {
      if (!this.clientIds.has(form)) this.clientIds.set(form, this.client.newClientId());
      payload.client_id = this.clientIds.get(form);
    }
    this.sending.add(form);
    form.setAttribute("aria-busy", "true");
    const name = form.dataset.action;
    const ack = await this.client.act(name, payload);
    this.sending.delete(form);
    form.removeAttribute("aria-busy");
    if (!ack.ok) {
      // After a timeout the same submission may be sent again and must be recognised; after a refusal, a
      // new attempt is a new submission.
      if (ack.error && ack.error.code !== "timeout") this.clientIds.delete(form);
      this.say(ack.error.message, "error");
      return;
    }
    this.clientIds.delete(form);
    // The server words its own confirmation (forum/live/messages.py); older servers send none.
    this.say(ack.message || this.messages.saved, "ok");
    if (form.dataset.question) this.forgetDraft(form.dataset.question);
    if (form.hasAttribute("data-reset")) form.reset();
    else markSaved(form);
    this.clearKept(form);
    this.onDone(form, ack, this.client.state);
    this.regions.invalidate();
    const focusId = submitter && submitter.id ? submitter.id : form.id;
    const after = form.dataset.focusAfter;
    this.render();
    this.refocus(submitter, focusId, after);
  }

  // Focus stays on the control the person used; if a render replaced it, its successor gets focus (a form
  // may name it with data-focus-after, e.g. "Start the session" hands over to "Next question").
  refocus(submitter, id, after) {
    const active = document.activeElement;
    if (active && active !== document.body && this.root.contains(active)) return;
    const target =
      (submitter && submitter.isConnected && submitter) ||
      (id && document.getElementById(id)) ||
      (after && document.getElementById(after)) ||
      null;
    if (target) {
      const button = target instanceof HTMLFormElement ? target.querySelector("button[type=submit]") : target;
      if (button) button.focus();
    }
  }

  click(event) {
    const run = event.target.closest("button[data-caption-run]");
    if (run) {
      this.draftFromCaptions(Number(run.dataset.captionRun));
      return;
    }
    const captions = event.target.closest("a[data-captions-toggle]");
    if (captions) {
      // Captions are each person's choice, closed until opened, and remembered by this browser.
      event.preventDefault();
      this.local.captions = !this.local.captions;
      try {
        localStorage.setItem(CAPTIONS_KEY, this.local.captions ? "1" : "0");
      } catch {
        // Storage may be off (private browsing): the choice then lasts as long as the page.
      }
      this.render();
      const again = this.root.querySelector("a[data-captions-toggle]");
      if (again) again.focus();
      return;
    }
    const link = event.target.closest("a[data-sort]");
    if (link) {
      event.preventDefault();
      this.local.sort = link.dataset.sort;
      history.replaceState(null, "", `?sort=${this.local.sort}#questions`);
      this.render();
      const again = this.root.querySelector(`a[data-sort="${this.local.sort}"]`);
      if (again) again.focus();
      return;
    }
    const more = event.target.closest("a[data-board-more]");
    if (more) {
      event.preventDefault();
      this.showMoreQuestions(more.dataset.boardMore);
      return;
    }
    const follow = event.target.closest("[data-follow-current]");
    if (follow) {
      const form = follow.closest("form");
      if (form) {
        form.reset();
        this.clearKept(form);
        this.regions.invalidate();
        this.render();
        const field = this.root.querySelector(`#${form.id} textarea`);
        if (field) field.focus();
      }
    }
  }

  // A crowded board came as its head: fetch the next page in the order shown and keep it live like the rest
  // (deltas update every held question). Focus stays on the link, or moves to the board once all is there.
  async showMoreQuestions(sort) {
    if (this.pagingBoard) return;
    this.pagingBoard = true;
    const offsets = this.boardOffsets || (this.boardOffsets = {});
    const offset = offsets[sort] ?? this.ui.limits.board_page;
    try {
      const ack = await this.client.act("board.page", { sort, offset });
      if (!ack.ok) {
        this.say(ack.error.message, "error");
        return;
      }
      offsets[sort] = offset + this.ui.limits.board_page;
      this.client.addQuestions(ack.result.questions);
      this.render();
      const again = this.root.querySelector("#board-more") || this.root.querySelector("#board-heading");
      if (again) {
        if (again.id === "board-heading") again.setAttribute("tabindex", "-1");
        again.focus();
      }
    } finally {
      this.pagingBoard = false;
    }
  }

  // --- Forms kept while someone types ---------------------------------------------------------------

  // Typing changes what a submission is (a new client id), and keeps a draft; emptying a form that was kept
  // for its typist lets it catch up with the room at once.
  typed(field) {
    const form = field.form;
    if (!form) return;
    this.clientIds.delete(form);
    this.keepDraft(field);
    if (!formIsDirty(form)) {
      this.clearKept(form);
      this.regions.invalidate();
      this.schedule();
    }
  }

  noteKept(form, fresh) {
    if (form.querySelector(".kept-note")) return;
    const moved = form.dataset.question && fresh.dataset.question !== form.dataset.question;
    const changed = [...form.elements].some((field) => {
      if (!field.name || !(field instanceof HTMLTextAreaElement)) return false;
      const twin = fresh.querySelector(`textarea[name="${field.name}"]`);
      return twin && twin.textContent !== field.defaultValue;
    });
    if (!moved && !changed) return;
    const note = document.createElement("div");
    note.className = "kept-note";
    // Shown beside the form, not announced: the announcer speaks only of the four events above.
    const text = document.createElement("p");
    text.textContent = moved ? this.messages.question_moved : this.messages.changed_elsewhere;
    note.append(text);
    if (moved && form.hasAttribute("data-draft")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "small secondary";
      button.dataset.followCurrent = "";
      button.textContent = this.messages.follow_current;
      note.append(button);
    }
    form.prepend(note);
  }

  clearKept(form) {
    for (const note of form.querySelectorAll(".kept-note, .draft-note")) note.remove();
  }

  // --- Drafts of written answers, kept per question in this tab until they are saved ---------------------
  // sessionStorage, not localStorage: a draft survives a reload or a question change, but not the tab, so a
  // shared device at the venue does not keep one panelist's words for the next.

  draftKey(questionId) {
    const you = this.client.state && this.client.state.you.participant_id;
    return you ? `${DRAFT_PREFIX}:${this.root.dataset.event}:${you}:${questionId}` : null;
  }

  keepDraft(field) {
    const form = field.form;
    if (!form || !form.hasAttribute("data-draft") || !form.dataset.question) return;
    const key = this.draftKey(form.dataset.question);
    if (!key) return;
    try {
      if (field.value !== field.defaultValue) sessionStorage.setItem(key, field.value);
      else sessionStorage.removeItem(key);
    } catch {
      // Storage may be refused; the draft still stays on the page.
    }
  }

  forgetDraft(questionId) {
    const key = this.draftKey(questionId);
    try {
      if (key) sessionStorage.removeItem(key);
    } catch {
      // nothing was stored
    }
  }

  restoreDrafts() {
    for (const form of this.root.querySelectorAll("form[data-draft][data-question]")) {
      if (formIsDirty(form)) continue;
      let draft = null;
      const key = this.draftKey(form.dataset.question);
      try {
        draft = key ? sessionStorage.getItem(key) : null;
      } catch {
        draft = null;
      }
      const field = form.querySelector("textarea");
      if (!field || draft === null || draft === field.defaultValue) continue;
      field.value = draft;
      const note = document.createElement("p");
      note.className = "draft-note";
      note.textContent = this.messages.draft_restored;
      form.prepend(note);
    }
  }
}

export function startLivePage(options) {
  const root = document.querySelector("[data-live]");
  if (!root) return null;
  return new LivePage(root, options).start();
}
