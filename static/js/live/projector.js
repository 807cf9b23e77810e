// Projector: the current question and the speaker with a running timer, in large type.
import { startLivePage } from "./page.js";
import { renderCurrentQuestion, renderFloor } from "./render.js";

startLivePage((root, state) => {
  renderCurrentQuestion(root, state);
  renderFloor(root, state);
});
