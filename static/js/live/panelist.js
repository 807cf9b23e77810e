// Panelist's live page: follow the current question and write or refine one's own answer to it.
import { bindActionForms, startLivePage } from "./page.js";
import { lookups, region, renderCurrentQuestion, renderFloor, renderSessionStatus } from "./render.js";

const drafts = new Map(); // question id -> text typed but maybe not yet saved

function renderAnswerForm(root, state) {
  const form = region(root, "answer-form");
  if (!form) return;
  const { current } = lookups(state);
  const idField = form.querySelector('[data-field="question-id"]');
  const textarea = form.querySelector('[data-field="answer"]');
  const newId = current ? String(current.id) : "";
  if (idField.value === newId) return;
  if (idField.value) drafts.set(idField.value, textarea.value);
  idField.value = newId;
  const saved = (state.written_answers || []).find((a) => current && a.question_id === current.id);
  textarea.value = drafts.get(newId) ?? (saved ? saved.text : "");
  form.querySelector("button[type=submit]").disabled = !current;
}

const started = startLivePage((root, state) => {
  renderSessionStatus(root, state);
  renderCurrentQuestion(root, state);
  renderFloor(root, state);
  renderAnswerForm(root, state);
});

if (started) {
  bindActionForms(started.root, started.client, {
    onDone: (form, ack) => {
      const questionId = Number(form.querySelector('[data-field="question-id"]').value);
      const text = form.querySelector('[data-field="answer"]').value.trim();
      const state = started.client.state;
      const mine = state.written_answers || (state.written_answers = []);
      const index = mine.findIndex((a) => a.question_id === questionId);
      if (ack.result && ack.result.contribution_id) {
        const entry = { id: ack.result.contribution_id, question_id: questionId, text };
        if (index >= 0) mine[index] = entry;
        else mine.push(entry);
      } else if (index >= 0) mine.splice(index, 1);
      drafts.delete(String(questionId));
    },
  });
}
