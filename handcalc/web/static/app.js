// handcalc serve: the drill page. Talks to the server's JSON API (handcalc/web/app.py).
//
// Markup comes only from the server's renderer (handcalc/views/html.py, which escapes every
// string and writes math as MathML); anything a learner typed, and every error message, is
// set as text (value, textContent), never as markup.
"use strict";

const api = {
  async call(method, path, body) {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(path, init);
    const data = await resp.json().catch(() => ({}));
    return { ok: resp.ok, status: resp.status, data };
  },
};

let lang = localStorage.getItem("handcalc.lang") || "";
let words = {};
let token = sessionStorage.getItem("handcalc.session") || "";
let state = null;

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
// a fragment rendered (and escaped) by handcalc's own renderer on the server
const markup = (tag, cls, fragment) => {
  const e = el(tag, cls);
  e.innerHTML = fragment;
  return e;
};

function status(text) { $("status").textContent = text || ""; }

async function loadWords() {
  const r = await api.call("GET", "/api/words" + (lang ? "?lang=" + lang : ""));
  if (!r.ok) throw new Error("words");
  words = r.data.words;
  lang = r.data.lang;
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = words["web.ui.title"];
  for (const node of document.querySelectorAll("[data-word]")) {
    node.textContent = words[node.dataset.word];
  }
  for (const node of document.querySelectorAll("[data-label]")) {
    node.setAttribute("aria-label", words[node.dataset.label]);
    node.title = words[node.dataset.label];
  }
}

async function start() {
  try {
    await loadWords();
    if (token) {
      const r = await api.call("GET", "/api/state?session=" + encodeURIComponent(token) +
                               "&lang=" + lang);
      if (r.ok) { show(r.data.state); return; }
    }
    await newSession();
  } catch (e) {
    status(words["web.ui.offline"] || "offline");
  }
}

async function newSession() {
  status(words["web.ui.loading"]);
  const r = await api.call("POST", "/api/session", { lang });
  token = r.data.session;
  sessionStorage.setItem("handcalc.session", token);
  show(r.data.state);
}

async function act(action, extra) {
  let r;
  try {
    r = await api.call("POST", "/api/" + action, Object.assign({ session: token, lang }, extra));
  } catch (e) {
    status(words["web.ui.offline"]);
    return;
  }
  if (r.status === 404) { status((r.data && r.data.title) || words["web.ui.offline"]); return; }
  if (!r.ok) { status(words["web.ui.offline"]); return; }
  show(r.data.state, r.data.error);
}

// ------------------------------------------------------------------ the page

function typed() {
  // the values in the current grid, to keep them across a re-render
  const grid = document.querySelector(".part.current .grid");
  return grid ? { part: Number(grid.dataset.part), values: boxes(grid).map((b) => b.value) }
              : null;
}

function show(next, error) {
  const kept = typed();
  state = next;
  status("");
  const done = state.done;
  $("finish").hidden = done;
  $("restart").hidden = !done;
  $("summary").hidden = !done;
  $("exercise").replaceChildren();
  $("parts").replaceChildren();
  $("end").replaceChildren();
  if (done) { showSummary(state.summary); return; }
  $("exercise").append(markup("div", "", state.html));
  for (const part of state.parts) $("parts").append(partView(part, kept, error));
  if (state.over) {
    $("end").append(el("p", "score", state.score));
    const next = el("button", "primary", words[state.last ? "web.ui.finish" : "web.ui.next"]);
    next.type = "button";
    next.id = "next";
    next.addEventListener("click", () => act(state.last ? "finish" : "next"));
    $("end").append(next);
    next.focus();
  } else {
    const grid = document.querySelector(".part.current .grid");
    if (grid) {
      const all = boxes(grid);
      (all.find((b) => !b.value.trim()) || all[0]).focus();
    }
  }
}

function partView(part, kept, error) {
  const box = el("section", "part " + part.status);
  box.id = "part-" + part.part;
  const head = el("div", "head");
  head.append(el("span", "", "(" + part.part + ") "), markup("span", "", part.prompt));
  box.append(head);
  if (part.status === "current") {
    box.append(el("div", "hint", part.hint + " · " + part.tries_text));
    const grid = gridView(part);
    box.append(grid);
    if (kept && kept.part === part.part) {
      boxes(grid).forEach((b, i) => { b.value = kept.values[i] || ""; });
    }
    if (part.verdict && part.verdict.cells.length) {
      boxes(grid).forEach((b, i) => {
        const ok = part.verdict.cells.flat()[i];
        b.classList.add(ok ? "right" : "wrong");
        b.setAttribute("aria-invalid", ok ? "false" : "true");
      });
    }
    const actions = el("div", "actions");
    const check = el("button", "primary", words["web.ui.check"]);
    check.type = "button";
    check.className = "primary check";
    check.addEventListener("click", () => submit(grid));
    const skip = el("button", "skip", words["web.ui.skip"]);
    skip.type = "button";
    skip.addEventListener("click", () => act("skip"));
    actions.append(check, skip);
    box.append(actions);
  }
  if (part.verdict) {
    const v = el("div", "verdict " + (part.verdict.correct ? "right" : "wrong"));
    v.append(markup("p", "words", part.verdict.words));
    if (part.verdict.diagnosis) v.append(markup("p", "diagnosis", part.verdict.diagnosis));
    box.append(v);
  }
  if (part.error && part.status === "current") box.append(el("p", "error", part.error));
  if (part.solution) box.append(markup("div", "", part.solution));
  return box;
}

function gridView(part) {
  const [rows, cols] = part.shape;
  const grid = el("div", "grid");
  grid.dataset.part = part.part;
  grid.dataset.rows = rows;
  grid.dataset.cols = cols;
  grid.style.setProperty("--cols", cols);
  if (rows === 1 && cols > 1) grid.classList.add("row");  // may wrap on a narrow screen
  grid.setAttribute("role", "group");
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const input = el("input");
      input.type = "text";
      input.inputMode = "decimal";
      input.autocomplete = "off";
      input.spellcheck = false;
      input.dataset.row = i;
      input.dataset.col = j;
      input.setAttribute("aria-label", words["web.ui.box"] + " " + (i + 1) + "," + (j + 1));
      input.addEventListener("keydown", (e) => onKey(e, grid, input));
      input.addEventListener("paste", (e) => onPaste(e, grid, input));
      input.addEventListener("input", () => onInput(grid, input));
      grid.append(input);
    }
  }
  return grid;
}

function boxes(grid) { return Array.from(grid.querySelectorAll("input")); }

function at(grid, i, j) {
  return grid.querySelector('input[data-row="' + i + '"][data-col="' + j + '"]');
}

function submit(grid) {
  const rows = Number(grid.dataset.rows), cols = Number(grid.dataset.cols);
  const cells = [];
  for (let i = 0; i < rows; i++) {
    cells.push([]);
    for (let j = 0; j < cols; j++) cells[i].push(at(grid, i, j).value.trim());
  }
  act("answer", { cells });
}

function onKey(e, grid, input) {
  const all = boxes(grid);
  const k = all.indexOf(input);
  const i = Number(input.dataset.row), j = Number(input.dataset.col);
  const move = (target) => { if (target) { e.preventDefault(); target.focus(); target.select(); } };
  if (e.key === "Enter") {
    e.preventDefault();
    const empty = all.find((b) => !b.value.trim());
    if (k === all.length - 1 || !empty) submit(grid);
    else move(all[k + 1]);
  } else if (e.key === "ArrowUp") move(at(grid, i - 1, j));
  else if (e.key === "ArrowDown") move(at(grid, i + 1, j));
  else if (e.key === "ArrowLeft" && input.selectionStart === 0 && input.selectionEnd === 0) {
    move(all[k - 1]);
  } else if (e.key === "ArrowRight" && input.selectionStart === input.value.length) {
    move(all[k + 1]);
  }
}

// Separators of a pasted or typed matrix, as a Chinese input method types them too:
// rows on lines or after ; or ；, entries after , ， 、 a tab or the ideographic space.
const ROWS = /\r?\n|[;；]/;
const ENTRIES = /[\t,，、\u3000]+/;
const PLAIN_NUMBERS = /^[\s0-9０-９.．+\-−－eE]+$/;

function split(text) {
  const flat = text.trim().replace(/[\]］]\s*[,，]\s*[\[［]/g, ";").replace(/[\[\]［］]/g, "");
  return flat.split(ROWS).map((row) => {
    let items = row.split(ENTRIES).map((s) => s.trim()).filter((s) => s);
    if (items.length === 1 && / /.test(items[0]) && PLAIN_NUMBERS.test(items[0])) {
      items = items[0].split(/\s+/);  // "2.19 0.54": numbers separated by spaces
    }
    return items;
  }).filter((row) => row.length);
}

function fill(grid, input, rowsOfItems) {
  const all = boxes(grid);
  const rows = Number(grid.dataset.rows), cols = Number(grid.dataset.cols);
  let i0 = Number(input.dataset.row), j0 = Number(input.dataset.col);
  let last = input;
  if (rows === 1 || cols === 1 || rowsOfItems.length === 1) {
    let k = all.indexOf(input);
    for (const item of rowsOfItems.flat()) {
      if (k >= all.length) break;
      all[k].value = item;
      last = all[k++];
    }
  } else {
    rowsOfItems.forEach((items, di) => items.forEach((item, dj) => {
      const b = at(grid, i0 + di, j0 + dj);
      if (b) { b.value = item; last = b; }
    }));
  }
  const k = all.indexOf(last);
  (all[k + 1] || last).focus();
}

function onPaste(e, grid, input) {
  const text = (e.clipboardData || window.clipboardData).getData("text");
  const items = split(text);
  if (items.flat().length < 2) return;  // one value: pasted as it is
  e.preventDefault();
  fill(grid, input, items);
}

function onInput(grid, input) {
  // a separator typed in a box moves on: "0.71，" fills this box and goes to the next
  if (!/[\t,，、\u3000;；\n]/.test(input.value)) return;
  const items = split(input.value);
  input.value = "";
  if (items.length) fill(grid, input, items);
  else {
    const all = boxes(grid);
    (all[all.indexOf(input) + 1] || input).focus();
  }
}

function showSummary(s) {
  const box = $("summary");
  box.replaceChildren();
  box.append(el("h2", "", s.title));
  const list = el("ul");
  for (const o of s.outcomes) list.append(el("li", "outcome " + o.result.replace(/ /g, "-"), o.text));
  box.append(list);
  const table = el("table");
  for (const [a, b] of s.rows) {
    const tr = el("tr");
    tr.append(el("td", "", a), el("td", "", b));
    table.append(tr);
  }
  box.append(table);
  $("restart").focus();
}

$("switch").addEventListener("click", async () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("handcalc.lang", lang);
  await loadWords();
  const r = await api.call("GET", "/api/state?session=" + encodeURIComponent(token) +
                           "&lang=" + lang);
  if (r.ok) show(r.data.state);  // keeps what is typed in the grid
});
$("finish").addEventListener("click", () => act("finish"));
$("restart").addEventListener("click", () => newSession());
start();
