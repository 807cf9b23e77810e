// Projector: the current question and the speaker with a running timer, in large type.
import { pollResults } from "./audience_view.js";
import { startLivePage } from "./page.js";
import { el, region, renderCurrentQuestion, renderFloor } from "./render.js";

function renderHighlight(root, state) {
  const box = region(root, "highlight");
  if (!box) return;
  const question = state.questions.find((q) => q.id === state.highlighted_question_id);
  box.hidden = !question;
  if (!question) return box.replaceChildren();
  box.replaceChildren(
    el("p", { className: "label", text: `From the audience${question.display_name ? ` — ${question.display_name}` : ""}` }),
    el("p", { className: "text", text: question.text }),
  );
}

function renderPoll(root, state) {
  const box = region(root, "projector-poll");
  if (!box) return;
  const poll = [...state.polls].reverse().find((p) => p.status === "open");
  box.hidden = !poll;
  if (!poll) return box.replaceChildren();
  box.replaceChildren(el("p", { className: "label", text: `Poll — ${poll.prompt}` }), ...pollResults(poll, state));
}

startLivePage((root, state) => {
  renderCurrentQuestion(root, state);
  renderFloor(root, state);
  renderHighlight(root, state);
  renderPoll(root, state);
});
