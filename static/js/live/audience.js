// Audience page: current question, the floor, the transcript feed, questions from the audience, polls.
import { renderAsk, renderAudiencePoll, renderBoard, renderMyQuestions } from "./audience_view.js";
import { bindActionForms, startLivePage } from "./page.js";
import { lookups, region, renderCurrentQuestion, renderFeed, renderFloor, renderSessionStatus } from "./render.js";

let sort = new URLSearchParams(location.search).get("sort") === "newest" ? "newest" : "votes";

function renderAgendaMarker(root, state) {
  const list = region(root, "agenda-list");
  if (!list) return;
  const { current } = lookups(state);
  state.agenda.forEach((question, index) => {
    let item = list.children[index];
    if (!item) {
      item = document.createElement("li");
      list.append(item);
    }
    item.textContent = question.text;
    item.classList.toggle("current", Boolean(current && current.id === question.id));
  });
  while (list.children.length > state.agenda.length) list.lastElementChild.remove();
}

function render(root, state) {
  renderSessionStatus(root, state);
  renderCurrentQuestion(root, state);
  renderFloor(root, state);
  const feedSection = region(root, "feed-section");
  if (feedSection) feedSection.hidden = !state.feed_enabled;
  renderFeed(root, state);
  renderAgendaMarker(root, state);
  renderAsk(root, state);
  renderMyQuestions(root, state);
  renderBoard(root, state, sort);
  renderAudiencePoll(root, state);
}

const started = startLivePage(render);
if (started) {
  const { root, client } = started;
  bindActionForms(root, client, {
    onDone: (form, ack) => {
      const state = client.state;
      const mine = state.mine || (state.mine = { blocked: false, questions: [], votes: [], poll_votes: {} });
      const name = form.dataset.action;
      if (name === "audience.vote") {
        const id = ack.result.question_id;
        mine.votes = mine.votes.filter((q) => q !== id);
        if (ack.result.up) mine.votes.push(id);
      } else if (name === "poll.vote") {
        mine.poll_votes[String(ack.result.poll_id)] = ack.result.option_id;
      }
      render(root, state);
    },
  });
  const sortLinks = region(root, "sort");
  if (sortLinks) {
    sortLinks.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-sort]");
      if (!link) return;
      event.preventDefault();
      sort = link.dataset.sort;
      for (const other of sortLinks.querySelectorAll("a[data-sort]")) {
        if (other === link) other.setAttribute("aria-current", "true");
        else other.removeAttribute("aria-current");
      }
      history.replaceState(null, "", `?sort=${sort}#questions`);
      if (client.state) render(root, client.state);
    });
  }
}
