// Live regions in the browser: the same templates the server renders (templates/live/regions/, precompiled
// into regions.compiled.js), rendered by Nunjucks from the live state and morphed into the page, so focus,
// caret, scroll, open <details> and typed text survive every update. See forum/live/regions.py for the
// context (s, ui, local, now) and for the Python side of every filter below, which must mean the same.
import "../../vendor/nunjucks/nunjucks-slim.min.js";
import { Idiomorph } from "../../vendor/idiomorph/idiomorph.esm.js";

const nunjucks = globalThis.nunjucks;

function parseTime(value) {
  return Date.parse(value);
}

export function duration(seconds) {
  const total = Math.max(0, Math.trunc(Number(seconds) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function secondsSince(start, now) {
  if (!start) return 0;
  return Math.max(0, (parseTime(now) - parseTime(start)) / 1000);
}

function clock(value, zone) {
  if (!value) return "";
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(value));
  const part = (type) => (parts.find((p) => p.type === type) || { value: "00" }).value;
  return `${part("hour")}:${part("minute")}`;
}

function byId(items) {
  const map = {};
  for (const item of items || []) map[String(item.id)] = item;
  return map;
}

function where(items, field, values) {
  return (items || []).filter((item) => (values || []).includes(item[field] === undefined ? null : item[field]));
}

function find(items, field, value) {
  return (items || []).find((item) => item[field] === value) || null;
}

function orderBy(items, spec) {
  return [...(items || [])].sort((a, b) => {
    for (const [field, direction] of spec) {
      const x = a[field];
      const y = b[field];
      if (x === y) continue;
      const result = x < y ? -1 : 1;
      return direction === "desc" ? -result : result;
    }
    return 0;
  });
}

function share(part, whole) {
  return whole ? Math.floor((100 * part) / whole + 0.5) : 0;
}

function signed(number) {
  return number > 0 ? `+${number}` : String(number);
}

// Characters are counted as code points, as Python counts them.
function clip(text, length) {
  const value = Array.from(String(text || ""));
  return value.length > length ? `${value.slice(0, length).join("")}…` : value.join("");
}

function chars(text) {
  return Array.from(String(text || "")).length;
}

// gettext as Jinja's "newstyle" i18n does it: the message is markup, the variables are escaped into it.
function interpolate(message, vars) {
  return message.replace(/%(?:\((\w+)\))?([sd%])/g, (match, name, kind) => {
    if (kind === "%") return "%";
    const value = vars[name];
    return nunjucks.lib.escape(String(value === undefined || value === null ? "" : value));
  });
}

function keywords(args) {
  const last = args[args.length - 1];
  return last && typeof last === "object" && last.__keywords ? last : {};
}

function makeEnvironment(catalogue) {
  const env = new nunjucks.Environment(new nunjucks.PrecompiledLoader(globalThis.nunjucksPrecompiled), {
    autoescape: true,
  });
  const translate = (message) => (catalogue && catalogue[message]) || message;
  env.addGlobal("_", (message, ...rest) => new nunjucks.runtime.SafeString(interpolate(translate(message), keywords(rest))));
  env.addGlobal("gettext", env.getGlobal("_"));
  env.addGlobal("ngettext", (singular, plural, count, ...rest) => {
    const vars = { num: count, ...keywords(rest) };
    return new nunjucks.runtime.SafeString(interpolate(translate(count === 1 ? singular : plural), vars));
  });
  const filters = {
    seconds_since: secondsSince,
    clock,
    by_id: byId,
    where,
    find,
    order_by: orderBy,
    share,
    signed,
    clip,
    chars,
    duration,
  };
  for (const [name, fn] of Object.entries(filters)) env.addFilter(name, fn);
  return env;
}

// --- Keeping what the person is doing -------------------------------------------------------------------

const TEXT_TYPES = new Set(["text", "search", "email", "url", "tel", "number", ""]);

function isTextField(node) {
  return (
    node instanceof HTMLTextAreaElement ||
    (node instanceof HTMLInputElement && TEXT_TYPES.has(node.getAttribute("type") || ""))
  );
}

function typedInto(node) {
  return isTextField(node) && node.value !== node.defaultValue;
}

export function formIsDirty(form) {
  return [...form.elements].some(typedInto);
}

// After the server accepted a form, what it holds is what was saved: nothing is typed "over" it any more.
export function markSaved(form) {
  for (const field of form.elements) if (isTextField(field)) field.defaultValue = field.value;
}

function chosenDefault(select) {
  return [...select.options].map((o) => o.defaultSelected);
}

// Idiomorph calls this before it touches a node; returning false leaves the node as it is.
function beforeNodeMorphed(oldNode, newNode, onKept) {
  if (!(oldNode instanceof Element) || !(newNode instanceof Element)) return true;
  if (oldNode instanceof HTMLFormElement && formIsDirty(oldNode)) {
    // Someone is typing here: the whole form stays as they left it, hidden fields included, so what they
    // type is saved with the question it was written for.
    onKept(oldNode, newNode);
    return false;
  }
  if (oldNode instanceof HTMLDetailsElement) {
    if (oldNode.open) newNode.setAttribute("open", "");
    else newNode.removeAttribute("open");
  }
  if (typedInto(oldNode)) return false;
  if (oldNode instanceof HTMLSelectElement) {
    const userChose = [...oldNode.options].some((o) => o.selected !== o.defaultSelected);
    const sameDefault = JSON.stringify(chosenDefault(oldNode)) === JSON.stringify(defaultsOf(newNode));
    // A person's choice stays until the server's suggestion changes (the speaker follows a new floor).
    if (userChose && sameDefault) return false;
  }
  if (oldNode instanceof HTMLInputElement && (oldNode.type === "checkbox" || oldNode.type === "radio")) {
    if (oldNode.checked !== oldNode.defaultChecked && oldNode.defaultChecked === newNode.hasAttribute("checked")) {
      return false;
    }
  }
  return true;
}

function defaultsOf(select) {
  return [...select.querySelectorAll("option")].map((o) => o.hasAttribute("selected"));
}

// idiomorph restores focus to text fields; a focused button whose list item moved (a board reordered by votes)
// loses it in browsers without Element.moveBefore. Remember it by id (or its form's id) and give it back. A
// control the new state removes ("Start the session" once it has started, even before its own answer
// arrives) hands focus to the successor its form names with data-focus-after, never to the page's body.
function focusedControl(root) {
  const active = document.activeElement;
  if (!active || active === document.body || !root.contains(active)) return null;
  const form = active.closest("form");
  return {
    element: active,
    id: active.id,
    formId: form ? form.id : "",
    after: form ? form.dataset.focusAfter || "" : "",
    tag: active.tagName,
  };
}

function restoreFocus(focus) {
  if (!focus || focus.element.isConnected && document.activeElement === focus.element) return;
  if (document.activeElement && document.activeElement !== document.body) return;
  let target = focus.element.isConnected ? focus.element : null;
  if (!target && focus.id) target = document.getElementById(focus.id);
  if (!target && focus.formId) {
    const form = document.getElementById(focus.formId);
    target = form ? form.querySelector(focus.tag === "BUTTON" ? "button[type=submit]" : focus.tag) : null;
  }
  if (!target && focus.after) {
    const successor = document.getElementById(focus.after);
    target = successor ? successor.querySelector("button[type=submit]") || successor : null;
  }
  if (target) target.focus({ preventScroll: true });
}

// --- Rendering ------------------------------------------------------------------------------------------

export class Regions {
  constructor(root, { ui, local, catalogue, onKept }) {
    this.root = root;
    this.ui = ui;
    this.local = local;
    this.env = makeEnvironment(catalogue);
    this.last = new Map();
    this.onKept = onKept || (() => {});
  }

  elements() {
    return [...this.root.querySelectorAll("[data-region]")];
  }

  render(state, now) {
    const context = { s: state, ui: this.ui, local: this.local, now: new Date(now).toISOString() };
    const focus = focusedControl(this.root);
    for (const element of this.elements()) {
      const name = element.dataset.region;
      try {
        this.renderRegion(element, name, context);
      } catch (error) {
        // One broken region must not stop the others (nor the page's stream number from moving on).
        this.last.delete(name);
        console.error(`live region ${name} could not be rendered`, error);
      }
    }
    restoreFocus(focus);
    this.tick(now);
  }

  renderRegion(element, name, context) {
    const html = this.env.render(`live/regions/${name}.html`, context).trim();
    if (this.last.get(name) === html && element.isConnected) return;
    let kept = false;
    Idiomorph.morph(element, html, {
      morphStyle: "outerHTML",
      restoreFocus: true,
      callbacks: {
        beforeNodeMorphed: (oldNode, newNode) =>
          beforeNodeMorphed(oldNode, newNode, (form, fresh) => {
            kept = true;
            this.onKept(form, fresh);
          }),
      },
    });
    // A region with a form left as someone was typing is not what the template says: render it again next time.
    if (kept) this.last.delete(name);
    else this.last.set(name, html);
  }

  // Between updates, running timers advance every second without a render.
  tick(now) {
    const iso = new Date(now).toISOString();
    for (const timer of this.root.querySelectorAll("[data-timer]")) {
      const base = Number(timer.dataset.timerBaseMs || 0) / 1000;
      const text = duration(base + secondsSince(timer.dataset.timer, iso));
      if (timer.textContent !== text) timer.textContent = text;
    }
  }

  // Forget what was rendered, so the next render morphs every region again (after a form was reset).
  invalidate() {
    this.last.clear();
  }
}
