// The review page of `r1 coldstart --review`. Model text is only ever set with textContent or a textarea's
// value, never parsed as HTML: a completion may hold markup, <script> included.
"use strict";

const TOKEN = document.body.dataset.token;
const FILTERS = ["all", "pending", "accepted", "rejected", "edited", "flagged"];
const VERIFIER = new Set(["bad_layout", "no_answer", "wrong", "unscorable"]);  // the rest are the filters'
const rows = JSON.parse(document.getElementById("rows").textContent);
const samples = document.getElementById("samples");
const filterBox = document.getElementById("filter");
let current = rows.length ? rows[0].id : null;
let editing = null;  // {id, reasoning, summary}: the open editor and its draft

function status(r) { return !r.reviewed ? "pending" : r.accept ? "accepted" : "rejected"; }

function shown(r) {
  const f = filterBox.value;
  if (f === "all") return true;
  if (f === "edited") return r.edited;
  if (f === "flagged") return r.check !== "kept";
  return status(r) === f;
}

function words(reason) { return reason.replace(/_/g, " "); }

function checkText(r) {
  if (r.check === "kept") return "verifier: correct, filters: pass";
  if (VERIFIER.has(r.check)) return "verifier: " + words(r.check);
  return "verifier: correct, filter: " + words(r.check);
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function field(title, body) {
  const f = el("section", "field");
  f.append(el("h2", "", title), body);
  return f;
}

function button(label, action) {
  const b = el("button", "", label);
  b.type = "button";
  b.addEventListener("click", action);
  return b;
}

function card(r) {
  const a = el("article", "sample " + status(r));
  a.dataset.id = r.id;
  if (r.id === current) a.classList.add("current");
  const head = el("header");
  head.append(el("span", "id", r.id), el("span", "badge " + status(r), status(r)));
  if (r.edited) head.append(el("span", "badge edited", "edited"));
  head.append(el("span", "badge " + (r.check === "kept" ? "ok" : "bad"), checkText(r)));
  const fields = el("div", "fields");
  fields.append(field("prompt", el("pre", "text prompt", r.prompt + "\n\nanswer: " + r.answer)));
  const actions = el("div", "actions");
  if (editing && editing.id === r.id) {
    const reasoning = el("textarea", "reasoning");
    const summary = el("textarea", "summary");
    reasoning.value = editing.reasoning;
    summary.value = editing.summary;
    reasoning.addEventListener("input", () => { editing.reasoning = reasoning.value; });
    summary.addEventListener("input", () => { editing.summary = summary.value; });
    fields.append(field("reasoning", reasoning), field("summary", summary));
    actions.append(button("Save (Ctrl+Enter)", saveEdit), button("Cancel (Esc)", cancelEdit));
  } else {
    fields.append(field("reasoning", el("pre", "text reasoning", r.reasoning)),
                  field("summary", el("pre", "text summary", r.summary)));
    actions.append(button("Accept (a)", () => decide(r.id, true)), button("Reject (r)", () => decide(r.id, false)),
                   button("Edit (e)", () => startEdit(r.id)));
  }
  a.append(head, fields, actions);
  if (r.edited) {
    const before = el("details");
    before.append(el("summary", "", "before the edit"));
    for (const k of ["reasoning", "summary"]) {
      if (k in r.original) before.append(el("h2", "", k), el("pre", "text", r.original[k]));
    }
    a.append(before);
  }
  a.addEventListener("click", () => { if (current !== r.id) { current = r.id; markCurrent(false); } });
  return a;
}

function progress() {
  const n = (p) => rows.filter(p).length;
  const reviewed = n((r) => r.reviewed);
  document.getElementById("progress").textContent =
    `reviewed ${reviewed} / ${rows.length}, accepted ${n((r) => status(r) === "accepted")}, ` +
    `rejected ${n((r) => status(r) === "rejected")}, edited ${n((r) => r.edited)}, ` +
    `flagged ${n((r) => r.check !== "kept")}`;
}

function render() {
  samples.replaceChildren(...rows.filter(shown).map(card));
  if (!samples.children.length) samples.append(el("p", "", "No sample matches this filter."));
  progress();
  markCurrent(false);
}

function redraw(id) {
  const old = samples.querySelector(`article[data-id="${CSS.escape(id)}"]`);
  const r = rows.find((x) => x.id === id);
  if (old) old.replaceWith(card(r));
  progress();
}

function visibleIds() { return rows.filter(shown).map((r) => r.id); }

function markCurrent(scroll) {
  const ids = visibleIds();
  if (!ids.includes(current)) current = ids.length ? ids[0] : null;
  for (const a of samples.querySelectorAll("article")) a.classList.toggle("current", a.dataset.id === current);
  const now = current && samples.querySelector(`article[data-id="${CSS.escape(current)}"]`);
  if (now && scroll) now.scrollIntoView({block: "nearest"});
}

function move(step) {
  const ids = visibleIds();
  const i = ids.indexOf(current);
  if (i + step >= 0 && i + step < ids.length) current = ids[i + step];
  markCurrent(true);
}

function say(text, error) {
  const m = document.getElementById("message");
  m.textContent = text;
  m.className = error ? "error" : "";
}

async function save(id, change) {
  const r = rows.find((x) => x.id === id);
  let res, body;
  try {
    res = await fetch("save?token=" + encodeURIComponent(TOKEN), {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({id: id, version: r.version, ...change})});
    body = await res.json();
  } catch (e) {
    say(`NOT SAVED (${id}): the review server does not answer; start it again, the file has every earlier change`, true);
    return false;
  }
  const fresh = res.ok ? body : body.row;
  if (fresh) rows[rows.indexOf(r)] = fresh;
  if (res.ok) {
    say(`saved ${id}: ${status(fresh)}${fresh.edited ? ", edited" : ""}` +
        (fresh.check === "kept" ? "" : ` (flagged, ${checkText(fresh)}: --from-review will drop it)`), fresh.check !== "kept");
  } else if (res.status === 409 && fresh) {
    say(`NOT SAVED (${id}): it was changed elsewhere (another tab or an editor) since this page loaded it; ` +
        "the saved version is shown now, redo your change on it", true);
  } else {
    say(`NOT SAVED (${id}): ${body.error}`, true);
  }
  return res.ok;
}

async function decide(id, accept) {
  if (editing) return;
  const ids = visibleIds();
  const next = ids[ids.indexOf(id) + 1];
  current = id;
  if (await save(id, {accept: accept}) && next !== undefined) current = next;
  render();  // the row may leave the filter
  markCurrent(true);
}

function startEdit(id) {
  const r = rows.find((x) => x.id === id);
  current = id;
  editing = {id: id, reasoning: r.reasoning, summary: r.summary};
  redraw(id);
  markCurrent(true);
  samples.querySelector(`article[data-id="${CSS.escape(id)}"] textarea`).focus();
}

async function saveEdit() {
  const draft = editing;
  const ok = await save(draft.id, {reasoning: draft.reasoning, summary: draft.summary});
  if (ok) editing = null;  // a refused save keeps the draft open on the saved version
  render();
}

function cancelEdit() {
  const id = editing.id;
  editing = null;
  redraw(id);
  markCurrent(false);
}

document.addEventListener("keydown", (e) => {
  if (editing) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); saveEdit(); }
    else if (e.key === "Escape") { e.preventDefault(); cancelEdit(); }
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey || e.target.tagName === "SELECT") return;
  const keys = {
    j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
    a: () => current && decide(current, true), r: () => current && decide(current, false),
    e: () => current && startEdit(current),
    v: () => { document.body.classList.toggle("single"); markCurrent(true); },
    f: () => { filterBox.value = FILTERS[(FILTERS.indexOf(filterBox.value) + 1) % FILTERS.length]; render(); },
  };
  if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
});
filterBox.addEventListener("change", render);
document.getElementById("view").addEventListener("click", () => {
  document.body.classList.toggle("single");
  markCurrent(true);
});
render();
