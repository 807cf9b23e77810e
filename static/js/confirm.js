// Ask before destructive actions, in an accessible modal dialog.
//
// Markup: <form method="post" data-confirm="Remove Oh Kyoungmi from the panel?"
//               data-confirm-button="Remove" data-confirm-detail="Optional sentence.">
// Every text comes from the page (these attributes, and the default labels in the JSON block
// <script type="application/json" id="confirm-texts">{"confirm": "…", "cancel": "…"}</script>
// in base.html), never from this file, so the interface can be translated.
//
// On import, a capture-phase submit listener asks before any form[data-confirm] is sent, except forms
// with data-action (live-room forms: their own code calls askToConfirm). When the person confirms, the
// form gets a hidden confirmed=1 and is submitted again, without a second question. Without
// JavaScript the server asks on a page instead (forum/confirm.py), so one click never destroys.

export const CONFIRM_FIELD = "confirmed";
export const CONFIRM_VALUE = "1";

const passing = new WeakSet(); // forms confirmed once, on their way out
let texts = null;
let dialogs = 0;

function pageTexts() {
  if (texts === null) {
    const block = document.getElementById("confirm-texts");
    try {
      texts = block ? JSON.parse(block.textContent) : {};
    } catch {
      texts = {};
    }
  }
  return texts;
}

function submitButtonOf(form) {
  return form.querySelector("button[type=submit], button:not([type]), input[type=submit]");
}

function makeButton(label, value, className) {
  const button = document.createElement("button");
  button.type = "button";
  button.value = value;
  button.className = className;
  button.textContent = label;
  return button;
}

/**
 * Ask the person to confirm what `form` does. Resolves true if they confirm, false if they cancel
 * (Cancel button or Escape). Focus goes to Cancel while the dialog is open and back to `returnTo`
 * (by default the form's submit button) when it closes.
 * @param {HTMLFormElement} form carries data-confirm (the question), optionally data-confirm-button
 *   (the confirming button's label, else the page's default) and data-confirm-detail (a sentence).
 * @param {HTMLElement} [returnTo] where focus goes afterwards.
 * @returns {Promise<boolean>}
 */
export function askToConfirm(form, returnTo = submitButtonOf(form)) {
  const labels = pageTexts();
  const dialog = document.createElement("dialog");
  dialog.className = "confirm-dialog";
  const title = document.createElement("h2");
  dialogs += 1;
  title.id = `confirm-dialog-title-${dialogs}`;
  title.textContent = form.dataset.confirm || "";
  dialog.setAttribute("aria-labelledby", title.id);
  dialog.append(title);
  if (form.dataset.confirmDetail) {
    const detail = document.createElement("p");
    detail.id = `${title.id}-detail`;
    detail.textContent = form.dataset.confirmDetail;
    dialog.setAttribute("aria-describedby", detail.id);
    dialog.append(detail);
  }
  const confirmButton = makeButton(
    form.dataset.confirmButton || labels.confirm || "",
    "confirm",
    "danger",
  );
  const cancelButton = makeButton(labels.cancel || "", "cancel", "secondary");
  const buttons = document.createElement("div");
  buttons.className = "confirm-actions";
  buttons.append(confirmButton, cancelButton);
  dialog.append(buttons);

  return new Promise((resolve) => {
    confirmButton.addEventListener("click", () => dialog.close("confirm"));
    cancelButton.addEventListener("click", () => dialog.close("cancel"));
    // Escape fires "cancel" and closes the dialog with an empty return value: a refusal.
    dialog.addEventListener("close", () => {
      const confirmed = dialog.returnValue === "confirm";
      dialog.remove();
      if (returnTo && returnTo.isConnected) returnTo.focus();
      resolve(confirmed);
    });
    document.body.append(dialog);
    dialog.returnValue = "";
    dialog.showModal();
    cancelButton.focus();
  });
}

/** Add the hidden confirmed=1 field the server looks for (once). */
export function markConfirmed(form) {
  let field = form.querySelector(`input[type=hidden][name="${CONFIRM_FIELD}"]`);
  if (!field) {
    field = document.createElement("input");
    field.type = "hidden";
    field.name = CONFIRM_FIELD;
    form.append(field);
  }
  field.value = CONFIRM_VALUE;
}

document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (!form.hasAttribute("data-confirm") || form.hasAttribute("data-action")) return;
    if (passing.has(form)) {
      passing.delete(form);
      return;
    }
    event.preventDefault();
    const submitter = event.submitter;
    askToConfirm(form, submitter || submitButtonOf(form)).then((confirmed) => {
      if (!confirmed) return;
      markConfirmed(form);
      passing.add(form);
      // requestSubmit dispatches "submit" synchronously; if validation stops it, the flag must not linger.
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      passing.delete(form);
    });
  },
  true,
);
