// Audience page: current question, who has the floor, and the transcript feed when the organizer allows it.
import { startLivePage } from "./page.js";
import { lookups, region, renderCurrentQuestion, renderFeed, renderFloor, renderSessionStatus } from "./render.js";

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

startLivePage((root, state) => {
  renderSessionStatus(root, state);
  renderCurrentQuestion(root, state);
  renderFloor(root, state);
  const feedSection = region(root, "feed-section");
  if (feedSection) feedSection.hidden = !state.feed_enabled;
  renderFeed(root, state);
  renderAgendaMarker(root, state);
});
