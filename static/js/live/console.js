// Moderator and scribe console: the live regions, keyboard shortcuts, and a brief highlight of the queue when
// an audience question starts waiting for a decision.
import { startLivePage } from "./page.js";

const page = startLivePage();

// Single keys, as in mail clients, only while the person is not typing; the buttons carry aria-keyshortcuts.
const SHORTCUTS = { n: "question-next", p: "question-previous", r: "floor-release" };

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

if (page && page.ui.caps.includes("moderate")) {
  document.addEventListener("keydown", (event) => {
    // Not while typing, not from a held-down key (one press, one question), not behind an open dialog.
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat || typing(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    const key = event.key.toLowerCase();
    if (key === "q") {
      const first = page.root.querySelector('[data-region="queue"] li[id^="queue-"] button');
      if (first) {
        event.preventDefault();
        first.focus();
      }
      return;
    }
    const form = SHORTCUTS[key] && document.getElementById(SHORTCUTS[key]);
    const button = form && form.querySelector("button[type=submit]");
    if (button && !button.disabled) {
      event.preventDefault();
      button.focus();
      form.requestSubmit(button);
    }
  });

  // When a question starts waiting, let the queue flash briefly (the page's announcer says it once, politely:
  // page.js).
  const waitingIds = () =>
    new Set([...page.root.querySelectorAll('[data-region="queue"] li[id^="queue-"]')].map((li) => li.id));
  let known = waitingIds(); // what the server rendered counts as seen
  const observer = new MutationObserver(() => {
    const queue = page.root.querySelector('[data-region="queue"]');
    if (!queue) return;
    const ids = waitingIds();
    const fresh = [...ids].filter((id) => !known.has(id));
    known = ids;
    if (fresh.length) {
      queue.classList.remove("alerting");
      void queue.offsetWidth; // restart the highlight animation
      queue.classList.add("alerting");
      for (const id of fresh) document.getElementById(id).classList.add("fresh");
    }
  });
  observer.observe(page.root, { childList: true, subtree: true });
}
