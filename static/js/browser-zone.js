// The new-event form starts in the organizer's own time zone. The server fills in UTC; on a form marked
// data-browser-zone (a new event that has not been submitted yet) this picks the zone the browser reports,
// but only when it is one of the field's choices and the organizer has not chosen a zone already (nor had
// the browser restore one). The edit form is never marked, so an event keeps its stored zone. Without
// JavaScript the server's default stays.

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

function defaultValue(select) {
  const chosen = Array.from(select.options).find((option) => option.defaultSelected);
  return chosen ? chosen.value : select.options.length ? select.options[0].value : "";
}

for (const form of document.querySelectorAll("form[data-browser-zone]")) {
  const field = form.querySelector("select[name=timezone]");
  const zone = browserZone();
  if (!field || !zone || field.value !== defaultValue(field)) continue;
  if (Array.from(field.options).some((option) => option.value === zone)) field.value = zone;
}
