// Audience questions and polls: the board, one's own questions, poll buttons and results,
// and the moderators' queue. The server renders the same regions (templates/live/_audience.html).
import { el, lookups, region } from "./render.js";

const VISIBLE = new Set(["approved", "answered"]);
const WAITING = new Set(["pending", "held", "hidden"]);
const MY_STATUS = {
  pending: "waiting for a moderator",
  held: "waiting for a moderator",
  hidden: "hidden after reports",
  rejected: "not published",
  withdrawn: "withdrawn",
};

export function sortQuestions(questions, sort) {
  const ordered = [...questions];
  if (sort === "newest") ordered.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.id - a.id));
  else ordered.sort((a, b) => b.votes - a.votes || (a.created_at < b.created_at ? -1 : 1) || a.id - b.id);
  return ordered.sort((a, b) => Number(b.pinned) - Number(a.pinned));
}

function hidden(name, value) {
  return el("input", { type: "hidden", name, value: String(value) });
}

export function actionForm(name, label, fields = {}, { css = "small secondary", clientId = false } = {}) {
  const form = el("form", { method: "post", "data-action": name, className: "inline", "data-client-id": clientId });
  for (const [key, value] of Object.entries(fields)) form.append(hidden(key, value));
  form.append(el("button", { type: "submit", className: css, text: label }));
  return form;
}

function meta(question, state) {
  const { questions } = lookups(state);
  const about = questions.get(question.agenda_question_id);
  const line = el("p", { className: "meta" }, el("strong", { text: question.display_name || "Anonymous" }), " ");
  line.append(el("span", { className: "badge", text: about ? `on Q${about.position}` : "general" }));
  if (question.pinned) line.append(" ", el("span", { className: "badge pinned", text: "pinned" }));
  if (question.status === "answered") line.append(" ", el("span", { className: "badge answered", text: "answered" }));
  return line;
}

function voteForm(question, votedUp) {
  const form = el("form", { method: "post", "data-action": "audience.vote", "data-client-id": true });
  form.append(hidden("question_id", question.id), hidden("up", votedUp ? "false" : "true"));
  form.append(
    el(
      "button",
      { type: "submit", className: "vote-button", "aria-pressed": votedUp ? "true" : "false", "aria-label": `Upvote (${question.votes} votes)` },
      "▲ ",
      el("span", { "data-field": "votes", text: String(question.votes) }),
    ),
  );
  return form;
}

function reportForm(question) {
  const form = el("form", { method: "post", "data-action": "audience.report", "data-client-id": true, className: "inline" });
  form.append(
    hidden("question_id", question.id),
    el("input", { type: "text", name: "reason", maxlength: "200", placeholder: "What is wrong? (optional)", "aria-label": "Reason" }),
    el("button", { type: "submit", className: "small secondary", text: "Send report" }),
  );
  return el("details", { className: "report" }, el("summary", { text: "Report" }), form);
}

function emptyItem(text) {
  return el("li", { className: "empty", "data-empty": true, text });
}

export function renderBoard(root, state, sort, { staff = false } = {}) {
  const list = region(root, "board");
  if (!list) return;
  const board = sortQuestions(state.questions.filter((q) => VISIBLE.has(q.status)), sort);
  const myVotes = new Set((state.mine && state.mine.votes) || []);
  const items = board.map((q) => {
    const body = el("div", { className: "body" }, meta(q, state), el("p", { className: "said", text: q.text }));
    const voteBox = el("div", { className: "vote" });
    if (staff) {
      voteBox.append(el("span", { className: "count" }, "▲ ", el("span", { "data-field": "votes", text: String(q.votes) })));
      if (q.reports) body.append(el("p", { className: "muted", text: `${q.reports} report(s)` }));
      body.append(staffActions(q, state, board));
    } else {
      voteBox.append(voteForm(q, myVotes.has(q.id)));
      body.append(reportForm(q));
    }
    return el("li", { "data-aq": q.id, className: q.id === state.highlighted_question_id ? "highlighted" : "" }, voteBox, body);
  });
  if (!items.length) items.push(emptyItem("No questions on the board yet."));
  list.replaceChildren(...items);
}

function staffActions(q, state, board) {
  const highlighted = q.id === state.highlighted_question_id;
  const box = el("div", { className: "actions" });
  box.append(
    actionForm("moderation.highlight", highlighted ? "Remove from projector" : "Show on projector", { question_id: highlighted ? "" : q.id }),
    actionForm("moderation.answered", q.status === "answered" ? "Not answered" : "Answered", {
      question_id: q.id,
      answered: q.status === "answered" ? "false" : "true",
    }),
    actionForm("moderation.pin", q.pinned ? "Unpin" : "Pin", { question_id: q.id, pinned: q.pinned ? "false" : "true" }),
    actionForm("moderation.reject", "Take down", { question_id: q.id }),
  );
  const others = board.filter((other) => other.id !== q.id);
  if (others.length) {
    const select = el("select", { name: "into_id", "aria-label": "Merge into" });
    for (const other of others) {
      select.append(el("option", { value: String(other.id), text: `into: ${other.text.slice(0, 40)}` }));
    }
    box.append(
      el("form", { method: "post", "data-action": "moderation.merge", className: "inline" }, hidden("question_id", q.id), select,
        el("button", { type: "submit", className: "small secondary", text: "Merge" })),
    );
  }
  return box;
}

export function renderQueue(root, state) {
  const list = region(root, "queue");
  if (!list) return;
  const waiting = state.questions.filter((q) => WAITING.has(q.status));
  const items = waiting.map((q) => {
    const line = el("p", { className: "meta" }, el("span", { className: `badge status-${q.status}`, text: q.status }), " ",
      el("strong", { text: q.display_name || "Anonymous" }));
    if (q.held_reason) line.append(" ", el("span", { className: "muted", text: `— ${q.held_reason}` }));
    if (q.author_blocked) line.append(" ", el("span", { className: "badge", text: "author blocked" }));
    const reject = el("form", { method: "post", "data-action": "moderation.reject", className: "inline" }, hidden("question_id", q.id),
      el("input", { type: "text", name: "reason", maxlength: "500", placeholder: "Reason for the author (optional)", "aria-label": "Reason" }),
      el("button", { type: "submit", className: "small secondary", text: "Reject" }));
    const actions = el("div", { className: "actions" },
      actionForm("moderation.approve", "Approve", { question_id: q.id }, { css: "small" }), reject,
      actionForm("moderation.block", q.author_blocked ? "Allow author again" : "Block author", {
        question_id: q.id,
        blocked: q.author_blocked ? "false" : "true",
      }));
    return el("li", { "data-aq": q.id }, line, el("p", { className: "said", text: q.text }), actions);
  });
  if (!items.length) items.push(emptyItem("Nothing waiting."));
  list.replaceChildren(...items);
}

export function renderMyQuestions(root, state) {
  const list = region(root, "my-questions");
  if (!list) return;
  const mine = ((state.mine && state.mine.questions) || []).filter((q) => !VISIBLE.has(q.status));
  list.replaceChildren(
    ...mine.map((q) => {
      const item = el("li", { "data-mine": q.id },
        el("p", { className: "meta" }, "Your question — ", el("strong", { text: MY_STATUS[q.status] || q.status })),
        el("p", { className: "said", text: q.text }));
      if (q.status === "rejected" && q.rejection_reason) item.append(el("p", { className: "reason", text: `Moderator's note: ${q.rejection_reason}` }));
      if (q.status === "pending" || q.status === "held") {
        const textarea = el("textarea", { name: "text", rows: "3", maxlength: "500", "aria-label": "Edit your question" });
        textarea.value = q.text;
        item.append(
          el("details", { className: "edit" }, el("summary", { text: "Edit" }),
            el("form", { method: "post", "data-action": "audience.edit", className: "stacked" }, hidden("question_id", q.id),
              textarea, hidden("display_name", q.display_name || ""), el("button", { type: "submit", className: "small", text: "Save" }))),
          actionForm("audience.withdraw", "Withdraw", { question_id: q.id }),
        );
      }
      return item;
    }),
  );
}

export function renderAsk(root, state) {
  const box = region(root, "ask");
  if (!box) return;
  const form = box.querySelector("form");
  let message = null;
  if (state.mine && state.mine.blocked) message = "A moderator has stopped you from posting in this event.";
  else if (!state.audience.questions_enabled || !["scheduled", "live"].includes(state.event.status)) message = "Questions are closed.";
  if (form) form.hidden = Boolean(message);
  let note = box.querySelector("[data-ask-note]");
  if (!note) {
    note = el("p", { className: "muted", "data-ask-note": true });
    box.append(note);
  }
  note.textContent = message || "";
  note.hidden = !message;
}

export function pollRows(poll, state) {
  const before = state.polls.find((p) => p.id === poll.paired_with_id);
  return poll.options.map((option) => {
    const votes = poll.tally[String(option.id)] || 0;
    const share = poll.total ? Math.round((100 * votes) / poll.total) : 0;
    let change = null;
    if (before && before.total) {
      const match = before.options.find((o) => o.label === option.label);
      if (match) change = share - Math.round((100 * (before.tally[String(match.id)] || 0)) / before.total);
    }
    return { label: option.label, votes, share, change };
  });
}

export function pollResults(poll, state) {
  const list = el("ul", { className: "poll-results" });
  for (const row of pollRows(poll, state)) {
    const item = el("li", {}, el("span", { className: "label", text: row.label }),
      el("progress", { max: "100", value: String(row.share), "aria-label": `${row.share} percent` }),
      el("span", { className: "share", text: `${row.share}% (${row.votes})` }));
    if (row.change !== null) item.append(el("span", { className: "change", text: `${row.change >= 0 ? "+" : ""}${row.change} pts` }));
    list.append(item);
  }
  let note = `${poll.total} vote${poll.total === 1 ? "" : "s"}`;
  if (poll.phase !== "single") note += ` · ${poll.phase} the discussion`;
  if (poll.status === "closed") note += " · closed";
  return [list, el("p", { className: "meta", text: note })];
}

export function latestPoll(state) {
  const open = [...state.polls].reverse().find((p) => p.status === "open");
  return open || state.polls[state.polls.length - 1] || null;
}

export function renderAudiencePoll(root, state) {
  const box = region(root, "poll");
  if (!box) return;
  const poll = latestPoll(state);
  box.hidden = !poll;
  if (!poll) return box.replaceChildren();
  const voted = state.mine && state.mine.poll_votes && state.mine.poll_votes[String(poll.id)];
  const parts = [el("h2", { text: `Poll: ${poll.prompt}` })];
  if (poll.status === "open" && !voted) {
    parts.push(el("div", { className: "poll-options" },
      ...poll.options.map((o) => actionForm("poll.vote", o.label, { poll_id: poll.id, option_id: o.id }, { css: "", clientId: true }))));
  } else parts.push(...pollResults(poll, state));
  box.replaceChildren(...parts);
}

export function renderPollList(root, state) {
  const list = region(root, "polls");
  if (!list) return;
  const items = [...state.polls].reverse().map((poll) => {
    const item = el("li", { "data-poll": poll.id },
      el("p", {}, el("strong", { text: poll.prompt }), " ", el("span", { className: "badge", text: poll.status })),
      ...pollResults(poll, state));
    if (poll.status === "open") item.append(actionForm("poll.close", "Close the poll", { poll_id: poll.id }));
    return item;
  });
  if (!items.length) items.push(emptyItem("No polls yet."));
  list.replaceChildren(...items);
}

export function renderModerationSettings(root, state) {
  const box = region(root, "moderation-settings");
  if (!box) return;
  const questions = box.querySelector('[data-field="questions-toggle"]');
  const premoderation = box.querySelector('[data-field="premoderation-toggle"]');
  if (questions) {
    questions.textContent = state.audience.questions_enabled ? "Close questions" : "Open questions";
    questions.form.querySelector('input[name="questions_enabled"]').value = state.audience.questions_enabled ? "false" : "true";
  }
  if (premoderation) {
    premoderation.textContent = state.audience.premoderation ? "Turn pre-moderation off" : "Turn pre-moderation on";
    premoderation.form.querySelector('input[name="premoderation"]').value = state.audience.premoderation ? "false" : "true";
  }
}
