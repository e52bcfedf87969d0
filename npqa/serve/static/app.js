// npqa serve: the page. Plain JavaScript, no build step. Table text is data:
// it reaches the page only through textContent, never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { tableId: null, table: null, result: null, step: 0 };

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function post(url, form) {
  $("busy").hidden = false;
  try {
    const response = await fetch(url, { method: "POST", body: form });
    let body;
    try { body = await response.json(); } catch (e) { body = { error: `the server answered ${response.status}` }; }
    if (!response.ok) throw new Error(body.error || `the server answered ${response.status}`);
    return body;
  } finally {
    $("busy").hidden = true;
  }
}

// -- picking a table ---------------------------------------------------------
async function loadTable(form) {
  showError("");
  try {
    const body = await post("/api/table", form);
    state.tableId = body.table_id;
    state.result = null;
    $("answer").hidden = true;
    $("steps").hidden = true;
    $("table-name").textContent = `table: ${body.name} (${body.table.n_rows} rows, ${body.table.columns.length} columns)`;
    drawTable(body.table, null, null);
    $("question").focus();
  } catch (err) {
    showError(err.message);
  }
}

function uploadFile(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  $("example").value = "";
  loadTable(form);
}

async function fillExamples() {
  const response = await fetch("/api/examples");
  const examples = await response.json();
  for (const ex of examples) {
    const option = el("option", { value: ex.name }, ex.name);
    option.dataset.question = ex.question;
    $("example").append(option);
  }
}

// -- drawing -----------------------------------------------------------------
function drawTable(table, lit, attention, chosen) {
  state.table = table;
  const t = $("table");
  t.replaceChildren();
  const head = el("tr");
  head.append(el("th", { class: "rownum" }, "#"));
  const best = attention ? chosen : null;  // the column the step reads
  table.columns.forEach((name) => {
    const th = el("th", {}, name);
    if (attention) {
      const p = attention[name] || 0;
      th.title = `column attention ${(100 * p).toFixed(1)}%`;
      if (name === best) th.classList.add("attended");
    }
    head.append(th);
  });
  t.append(head);
  const litSet = new Set(lit || []);
  for (const row of table.rows) {
    const tr = el("tr", { "data-row": row.index });
    if (litSet.has(row.index)) tr.classList.add("lit");
    if (row.summary) tr.classList.add("summary");
    tr.append(el("td", { class: "rownum" }, String(row.index + 1)));
    row.cells.forEach((cell, j) => {
      const td = el("td", {}, cell);
      if (attention && table.columns[j] === best) td.classList.add("attended");
      tr.append(td);
    });
    t.append(tr);
  }
  let caption = `${table.n_rows} rows`;
  if (table.hidden_rows > 0) caption += ` (${table.hidden_rows} not shown)`;
  if (lit) caption += ` · ${litSet.size} selected at this step`;
  $("table-caption").textContent = caption;
  for (const notice of table.notices || []) $("table-caption").append(el("div", {}, `note: ${notice}`));
  $("table-view").hidden = false;
}

function bars(container, probs, chosen, limit) {
  container.replaceChildren();
  container.classList.remove("muted");
  const top = Object.entries(probs).sort((a, b) => b[1] - a[1]).slice(0, limit);
  for (const [name, p] of top) {
    const row = el("div", { class: "bar-row" + (name === chosen ? " chosen" : "") });
    row.append(el("span", { class: "label", title: name }, name));
    const bar = el("div", { class: "bar" });
    const fill = el("div");
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    bar.append(fill);
    row.append(bar, el("span", { class: "value" }, `${(100 * p).toFixed(1)}%`));
    container.append(row);
  }
}

function bandClass(band) {
  return band ? band.replace(/\s+/g, "-") : "uncalibrated";
}

function drawAnswer(r) {
  $("answer-text").textContent = r.abstained ? "(answer withheld)" : (r.answer.length ? r.answer.join(" | ") : "(no answer)");
  $("band").textContent = r.band || "no calibrator";
  $("band").className = `band ${bandClass(r.band)}`;
  const meaning = r.band ? "the probability that the answer is right" : "the program's probability: this model has no calibrator";
  $("confidence").textContent = `confidence ${(100 * r.confidence).toFixed(0)}% (${meaning}); program probability ${(100 * r.program_prob).toFixed(1)}%`;
  $("remarks").replaceChildren(...r.remarks.map((m) => el("li", {}, m)));
  $("program").textContent = r.program || "(none)";
  $("sql").textContent = r.sql || "-- none";
  $("sql-note").textContent = r.sql_note || "";
  const alts = $("alt-list");
  alts.replaceChildren();
  for (const a of r.alternatives) {
    const li = el("li");
    li.append(el("code", {}, a.program), document.createTextNode(" → "),
      el("b", {}, a.answer.length ? a.answer.join(" | ") : "(no answer)"),
      el("span", { class: "muted" }, ` (program probability ${(100 * a.program_prob).toFixed(1)}%)`));
    alts.append(li);
  }
  $("alternatives").hidden = r.alternatives.length === 0;
  $("alternatives").querySelector("summary").textContent = `Top alternatives (${r.alternatives.length})`;
  $("answer").hidden = false;
}

function drawStep(i) {
  const r = state.result;
  const n = r.steps.length;
  if (!n) { $("steps").hidden = true; drawTable(r.table, null, null); return; }
  state.step = Math.max(0, Math.min(i, n - 1));
  const s = r.steps[state.step];
  $("step-slider").max = String(n - 1);
  $("step-slider").value = String(state.step);
  $("prev").disabled = state.step === 0;
  $("next").disabled = state.step === n - 1;
  let label = `step ${state.step + 1} of ${n}: ${s.op}`;
  if (s.column) label += ` on "${s.column}"`;
  if (s.constant !== null && s.constant !== undefined) label += ` with ${s.constant}`;
  $("step-label").textContent = label;
  bars($("op-bars"), s.op_probs, s.op, 5);
  const attention = r.column_probs[state.step] || {};
  if (s.column) bars($("col-bars"), attention, s.column, 5);
  else { $("col-bars").replaceChildren(el("span", { class: "muted" }, "this op reads no column")); }
  if (s.word_probs) bars($("word-bars"), s.word_probs, null, 8);
  drawTable(r.table, s.rows, s.column ? attention : null, s.column);
  $("steps").hidden = false;
}

async function ask(event) {
  event.preventDefault();
  showError("");
  const form = new FormData();
  form.append("question", $("question").value);
  form.append("top", "3");
  if (state.tableId) form.append("table", state.tableId);
  try {
    const r = await post("/api/ask", form);
    state.result = r;
    state.tableId = r.table_id;
    drawAnswer(r);
    drawStep(0);
  } catch (err) {
    showError(err.message);
  }
}

// -- wiring ------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", () => {
  fillExamples().catch((err) => showError(`examples: ${err.message}`));
  $("file").addEventListener("change", () => { if ($("file").files.length) uploadFile($("file").files[0]); });
  $("example").addEventListener("change", () => {
    const option = $("example").selectedOptions[0];
    if (!option.value) return;
    const form = new FormData();
    form.append("example", option.value);
    if (!$("question").value) $("question").value = option.dataset.question || "";
    loadTable(form);
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) uploadFile(e.dataTransfer.files[0]);
  });
  $("ask-form").addEventListener("submit", ask);
  $("prev").addEventListener("click", () => drawStep(state.step - 1));
  $("next").addEventListener("click", () => drawStep(state.step + 1));
  $("step-slider").addEventListener("input", () => drawStep(Number($("step-slider").value)));
  $("copy-sql").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("sql").textContent);
      $("copy-sql").textContent = "Copied";
    } catch (e) {  // no clipboard (plain http on another host): select the text instead
      window.getSelection().selectAllChildren($("sql"));
      $("copy-sql").textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { $("copy-sql").textContent = "Copy"; }, 1500);
  });
});
