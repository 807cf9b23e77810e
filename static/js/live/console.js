// Moderator and scribe console. Controls are forms; here they go over the socket and the page redraws live.
import { renderBoard, renderModerationSettings, renderPollList, renderQueue } from "./audience_view.js";
import { bindActionForms, startLivePage } from "./page.js";
import {
  el,
  lookups,
  region,
  renderCurrentQuestion,
  renderFeed,
  renderFloor,
  renderSessionStatus,
} from "./render.js";

const started = startLivePage(render);
if (started) bindActionForms(started.root, started.client);

function csrf(root) {
  const input = root.querySelector('input[name="csrf_token"]');
  return input ? input.value : "";
}

function actionButton(root, name, label, fields, css = "small secondary") {
  const form = el("form", { method: "post", "data-action": name, className: "inline" });
  form.append(el("input", { type: "hidden", name: "csrf_token", value: csrf(root) }));
  for (const [key, value] of Object.entries(fields)) {
    form.append(el("input", { type: "hidden", name: key, value: String(value) }));
  }
  form.append(el("button", { type: "submit", className: css, text: label }));
  return form;
}

function renderAgenda(root, state) {
  const list = region(root, "agenda");
  if (!list) return;
  const canModerate = state.you.capabilities.includes("moderate");
  list.replaceChildren(
    ...state.agenda.map((q) => {
      const text = el("span", { className: "question-text" }, el("span", { className: "number", text: `${q.position}.` }), ` ${q.text}`);
      if (q.added_live) text.append(" ", el("span", { className: "badge", text: "added live" }));
      const item = el("li", { "data-question": q.id, className: q.id === state.current_question_id ? "current" : "" }, text);
      if (canModerate) item.append(actionButton(root, "question.goto", "Go", { question_id: q.id }));
      return item;
    }),
  );
}

function renderPrompt(root, state) {
  const form = region(root, "prompt-form");
  if (!form) return;
  const { current } = lookups(state);
  const idField = form.querySelector('[data-field="question-id"]');
  const textarea = form.querySelector('[data-field="prompt"]');
  const newId = current ? String(current.id) : "";
  if (idField.value !== newId) {
    idField.value = newId;
    const prompt = state.feed.find((c) => c.kind === "moderator_prompt" && c.question_id === (current && current.id));
    textarea.value = prompt ? prompt.text : "";
  }
}

function renderFeedState(root, state) {
  const text = region(root, "feed-state");
  if (!text) return;
  text.replaceChildren(
    "The live transcript is currently ",
    el("strong", { text: state.feed_enabled ? "shown" : "hidden" }),
    " on audience screens.",
  );
  const form = text.parentElement.querySelector('form[data-action="feed.set"]');
  if (form) {
    form.querySelector('input[name="enabled"]').value = state.feed_enabled ? "false" : "true";
    form.querySelector("button").textContent = state.feed_enabled ? "Hide it from the audience" : "Show it to the audience";
  }
}

function renderSessionControls(root, state) {
  const box = region(root, "session-controls");
  if (!box) return;
  const start = box.querySelector('form[data-action="session.start"] button');
  const end = box.querySelector('form[data-action="session.end"] button');
  if (start) {
    start.textContent = state.session.status === "not_started" ? "Start the session" : "Resume the session";
    start.disabled = state.session.status === "live";
  }
  if (end) end.disabled = state.session.status !== "live";
}

function renderSpeakerSelect(root, state, previousFloor) {
  const select = region(root, "speaker-select");
  if (!select || !state.floor) return;
  // Follow the floor, unless the scribe is in the middle of typing for someone else.
  const floorChanged = !previousFloor || previousFloor.participant_id !== state.floor.participant_id;
  const text = root.querySelector("#capture-text");
  if (floorChanged && (!text || !text.value)) select.value = String(state.floor.participant_id);
}

function renderWritten(root, state) {
  const list = region(root, "written-answers");
  if (!list || !state.written_answers) return;
  const { people, questions } = lookups(state);
  const items = state.written_answers.map((item) => {
    const who = people.get(item.participant_id);
    const q = questions.get(item.question_id);
    return el(
      "li",
      { "data-written": `${item.participant_id}-${item.question_id}` },
      el("p", { className: "meta" }, `Q${q ? q.position : "?"} · `, el("strong", { text: who ? who.short_name : "" })),
      el("p", { className: "said", text: item.text }),
    );
  });
  if (!items.length) items.push(el("li", { className: "empty", text: "None yet." }));
  list.replaceChildren(...items);
}

let lastFloor = null;
function render(root, state) {
  renderSessionStatus(root, state);
  renderSessionControls(root, state);
  renderCurrentQuestion(root, state);
  renderFloor(root, state);
  renderAgenda(root, state);
  renderPrompt(root, state);
  renderFeedState(root, state);
  renderSpeakerSelect(root, state, lastFloor);
  lastFloor = state.floor;
  const openEdits = new Set([...root.querySelectorAll("[data-contribution] details[open]")].map((d) => d.closest("li").dataset.contribution));
  renderFeed(root, state, { editable: true, csrf: csrf(root) });
  for (const id of openEdits) {
    const details = root.querySelector(`[data-contribution="${id}"] details`);
    if (details) details.open = true;
  }
  renderWritten(root, state);
  if (state.you.capabilities.includes("moderate")) {
    renderModerationSettings(root, state);
    renderQueue(root, state);
    renderBoard(root, state, "votes", { staff: true });
    renderPollList(root, state);
  }
}
