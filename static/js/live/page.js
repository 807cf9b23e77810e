// Start a live page: connect with the root element's data-event / data-invite and redraw on each change.
import { LiveClient } from "./client.js";
import { renderConnection, startClock, tickTimers } from "./render.js";

export function startLivePage(render) {
  const root = document.querySelector("[data-live]");
  if (!root) return null;
  const client = new LiveClient({
    event: root.dataset.event,
    invite: root.dataset.invite || null,
    onState: (state) => {
      render(root, state, client);
      tickTimers(root, state, client.now());
    },
    onStatus: (status, message) => renderConnection(root, status, message),
  });
  client.connect();
  startClock(root, client);
  return { root, client };
}

// Forms marked data-action are sent over the socket instead of posted; without JavaScript they post.
export function bindActionForms(root, client, { onDone } = {}) {
  const status = root.querySelector('[data-region="action-status"]');
  root.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-action]");
    if (!form) return;
    event.preventDefault();
    const payload = Object.fromEntries(new FormData(form).entries());
    delete payload.csrf_token;
    if (form.hasAttribute("data-client-id")) {
      // Kept until the server confirms, so a retry of the same submission is recognised.
      form.dataset.pendingId = form.dataset.pendingId || client.newClientId();
      payload.client_id = form.dataset.pendingId;
    }
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    const ack = await client.act(form.dataset.action, payload);
    if (button) button.disabled = false;
    if (status) {
      status.textContent = ack.ok ? "Saved." : ack.error.message;
      status.dataset.outcome = ack.ok ? "ok" : "error";
    }
    if (ack.ok) {
      delete form.dataset.pendingId;
      if (form.hasAttribute("data-reset")) form.reset();
      if (onDone) onDone(form, ack);
    }
  });
}
