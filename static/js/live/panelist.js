// Panelist's live page: the current question and one's own written answer (drafts are kept per question
// by page.js until they are saved).
import { startLivePage } from "./page.js";

startLivePage({
  onDone(form, ack, state) {
    if (form.dataset.action !== "answer.save" || !state) return;
    const questionId = Number(form.querySelector('input[name="question_id"]').value);
    const text = form.querySelector("textarea").value.trim();
    const mine = state.written_answers || (state.written_answers = []);
    const index = mine.findIndex((a) => a.question_id === questionId);
    if (ack.result && ack.result.contribution_id) {
      const entry = { ...(mine[index] || {}), id: ack.result.contribution_id, question_id: questionId, text };
      if (index >= 0) mine[index] = entry;
      else mine.push(entry);
    } else if (index >= 0) mine.splice(index, 1);
  },
});
