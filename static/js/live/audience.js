// Audience page: the live regions, and what an acknowledgement tells about this member's own choices.
import { startLivePage } from "./page.js";

startLivePage({
  onDone(form, ack, state) {
    if (!state || !ack.result) return;
    const mine = state.mine || (state.mine = { blocked: false, questions: [], votes: [], poll_votes: {} });
    if (form.dataset.action === "audience.vote") {
      const id = ack.result.question_id;
      mine.votes = mine.votes.filter((q) => q !== id);
      if (ack.result.up) mine.votes.push(id);
    } else if (form.dataset.action === "poll.vote") {
      mine.poll_votes[String(ack.result.poll_id)] = ack.result.option_id;
    }
  },
});
