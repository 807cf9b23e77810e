// Redraw the live regions that the server rendered first (templates/live/_live.html) from the state.
// Text always goes in through textContent, never as HTML.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export function region(root, name) {
  return root.querySelector(`[data-region="${name}"]`);
}

export function lookups(state) {
  const people = new Map(state.panel.map((p) => [p.id, p]));
  const questions = new Map(state.agenda.map((q) => [q.id, q]));
  return { people, questions, current: questions.get(state.current_question_id) || null };
}

export function formatDuration(seconds) {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

// Wall-clock time at the venue, as the server renders it.
export function clockTime(iso, timeZone) {
  try {
    return new Date(iso).toLocaleTimeString("en-GB", { timeZone, hour: "2-digit", minute: "2-digit" });
  } catch {
    return iso.slice(11, 16);
  }
}

const STATUS_LABELS = { not_started: "not started", live: "live", ended: "ended" };

export function renderSessionStatus(root, state) {
  const badge = region(root, "session-status");
  if (!badge) return;
  badge.textContent = STATUS_LABELS[state.session.status] || state.session.status;
  badge.className = `status status-${state.session.status}`;
}

export function renderCurrentQuestion(root, state) {
  const box = region(root, "current-question");
  if (!box) return;
  const { current } = lookups(state);
  const heading = box.querySelector('[data-field="text"]');
  const tag = heading ? heading.tagName.toLowerCase() : "h2";
  let label;
  if (current) {
    label = el("p", { className: "label" }, `Question ${current.position} of ${state.agenda.length}`);
  } else if (state.session.status === "not_started") {
    label = el("p", { className: "label", text: "Waiting for the session to start" });
  } else {
    label = el("p", { className: "label", text: "No current question" });
  }
  box.replaceChildren(label, el(tag, { "data-field": "text", text: current ? current.text : state.event.title }));
}

export function renderFloor(root, state) {
  const box = region(root, "floor");
  if (!box) return;
  const { people } = lookups(state);
  const speaker = state.floor ? people.get(state.floor.participant_id) : null;
  const line = el("p", {}, el("span", { className: "label", text: "On the floor" }), " ");
  if (speaker) {
    line.append(el("strong", { "data-field": "speaker", text: speaker.display_name }));
    if (speaker.affiliation) line.append(" ", el("span", { className: "muted", text: speaker.affiliation }));
    line.append(" ", el("span", { className: "timer", "data-timer": state.floor.started_at, text: "0:00" }));
  } else {
    line.append(el("span", { className: "muted", "data-field": "speaker", text: "nobody" }));
  }
  box.replaceChildren(line);
}

// Totals are completed turns from the server plus the running turn, counted here.
export function speakingTotals(state, now) {
  const totals = new Map(Object.entries(state.speaking.totals).map(([id, s]) => [Number(id), s]));
  if (state.floor) {
    const running = (now - Date.parse(state.floor.started_at)) / 1000;
    totals.set(state.floor.participant_id, (totals.get(state.floor.participant_id) || 0) + Math.max(0, running));
  }
  return totals;
}

export function tickTimers(root, state, now) {
  if (!state) return;
  for (const timer of root.querySelectorAll("[data-timer]")) {
    timer.textContent = formatDuration((now - Date.parse(timer.dataset.timer)) / 1000);
  }
  const list = region(root, "speaking");
  if (!list) return;
  const totals = speakingTotals(state, now);
  for (const item of list.querySelectorAll("[data-participant]")) {
    const id = Number(item.dataset.participant);
    const field = item.querySelector('[data-field="total"]');
    if (field) field.textContent = formatDuration(totals.get(id) || 0);
    item.classList.toggle("speaking-now", Boolean(state.floor && state.floor.participant_id === id));
  }
}

export function renderFeed(root, state, { editable = false, csrf = "" } = {}) {
  const list = region(root, "feed");
  if (!list) return;
  const { people, questions } = lookups(state);
  const items = state.feed.map((item) => {
    const who = people.get(item.participant_id);
    const question = questions.get(item.question_id);
    const meta = el(
      "p",
      { className: "meta" },
      el("span", { "data-field": "question", text: `Q${question ? question.position : "?"}` }),
      " · ",
      el("strong", { "data-field": "speaker", text: who ? who.short_name : "Unattributed" }),
    );
    if (item.kind !== "answer") meta.append(" ", el("span", { className: "badge", text: item.kind.replace("_", " ") }));
    meta.append(" ", el("time", { datetime: item.created_at, text: clockTime(item.created_at, state.event.timezone) }));
    if (item.revision > 1) meta.append(" ", el("span", { className: "muted", text: "corrected" }));
    const li = el("li", { "data-contribution": item.id }, meta, el("p", { className: "said", "data-field": "text", text: item.text }));
    if (editable) li.append(editForm(item, csrf));
    return li;
  });
  if (!items.length) items.push(el("li", { className: "empty", "data-empty": true, text: "Nothing recorded yet." }));
  list.replaceChildren(...items);
}

function editForm(item, csrf) {
  const id = `edit-${item.id}`;
  const textarea = el("textarea", { id, name: "text", rows: "3" });
  textarea.value = item.text;
  return el(
    "details",
    { className: "edit" },
    el("summary", { text: "Correct" }),
    el(
      "form",
      { method: "post", "data-action": "contribution.edit" },
      el("input", { type: "hidden", name: "csrf_token", value: csrf }),
      el("input", { type: "hidden", name: "contribution_id", value: String(item.id) }),
      el("label", { className: "visually-hidden", for: id, text: "Corrected text" }),
      textarea,
      el("button", { type: "submit", className: "small", text: "Save correction" }),
    ),
  );
}

export function renderConnection(root, status, message) {
  const box = region(root, "connection");
  if (!box) return;
  const texts = {
    connected: "Live",
    reconnecting: "Connection lost — reconnecting…",
    refused: message || "This page cannot join the live room.",
  };
  box.textContent = texts[status] || "";
  box.dataset.status = status;
}

export function startClock(root, client) {
  setInterval(() => tickTimers(root, client.state, client.now()), 1000);
}
