// Projector: the live regions in large type; nothing to press.
import { startLivePage } from "./page.js";

startLivePage();
