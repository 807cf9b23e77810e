// Copy buttons beside read-only fields (invitation links). Markup, texts included, comes from the page:
//   <input id="x" readonly value="…">
//   <button type="button" hidden data-copy-target="x" data-copy-status="x-status"
//           data-copied="…" data-copy-failed="…">…</button>
//   <span id="x-status" role="status"></span>
// The button is hidden in the HTML and shown here, so without JavaScript only the selectable field remains.

function say(status, text) {
  if (!status) return;
  status.textContent = "";
  // A fresh text node after clearing makes screen readers announce a repeated "Copied" again.
  window.requestAnimationFrame(() => {
    status.textContent = text;
  });
}

async function copy(button) {
  const field = document.getElementById(button.dataset.copyTarget);
  const status = document.getElementById(button.dataset.copyStatus);
  if (!field) return;
  field.focus();
  field.select();
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
    await navigator.clipboard.writeText(field.value);
    say(status, button.dataset.copied);
    button.focus();
  } catch {
    // The field keeps the selection and the focus, ready for the keyboard shortcut the message names.
    say(status, button.dataset.copyFailed);
  }
}

for (const button of document.querySelectorAll("button[data-copy-target]")) {
  button.hidden = false;
  button.addEventListener("click", () => copy(button));
}
