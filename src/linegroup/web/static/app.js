// linegroup serve: the page. Vanilla JS, no build step. It talks to the JSON API of
// server.py: POST /api/predict (upload), POST /api/edit (merge, split, delete, reassign,
// calibrate, undo, redo), GET /api/mask|image|session/{id}, GET /api/export/{id}.{kind}.
// The label mask comes as runs and is kept as a Uint16Array: the overlay is drawn from it
// and a click finds the line under the pointer in it. Sessions opened are remembered in
// localStorage, so reloading the page reopens them where they were left.
"use strict";

const HIT_RADIUS = 6;          // px of the image: a click this close to a line selects it
const FADE = 0.45;             // opacity of the chart under the overlay
const LASSO_STEP = 1.5;        // px of the image between two lasso vertices kept
const HALO = 2;                // px of the image around a selected line's pixels drawn in yellow
const STORE_KEY = "linegroup.sessions";  // localStorage: [{sid, name}] of the charts opened

const $ = (s) => document.querySelector(s);
const charts = [];             // {sid, name, doc, labels, w, h, image, hidden:Set, sel:[]}
let cur = null;                // the chart shown
let mode = "select";           // select | split | lasso | pick
let picking = null;            // the calibration row waiting for a click
let lasso = null;              // [[x, y], ...] while drawing

// Same colours as viz.distinct_colors: golden-ratio hue steps.
function color(id) {
  const i = id - 1, h = (0.05 + i * 0.618033988749895) % 1.0;
  const [s, v] = i % 2 === 0 ? [0.95, 0.9] : [0.75, 0.7];
  const k = Math.floor(h * 6), f = h * 6 - k, p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  const rgb = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][k % 6];
  return rgb.map((c) => Math.floor(255 * c));
}
const css = (rgb) => `rgb(${rgb.join(",")})`;

function status(text, error = false) {
  const el = $("#status");
  el.textContent = text;
  el.classList.toggle("error", error);
}

async function api(url, options = {}) {
  const r = await fetch(url, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
  return body;
}

// ---------------------------------------------------------------------------------
// charts: upload, reopen, switch

async function upload(files) {
  for (const file of files) {
    let pages = 1;
    for (let page = 1; page <= pages; page++) {  // every page of a PDF, each its own chart (as predict does)
      const form = new FormData();
      form.append("image", file);
      form.append("page", String(page));
      if ($("#axesAuto").checked) form.append("axes", "auto");
      const cand = $("#candidates").files[0];
      if (cand) form.append("candidates", cand);
      const what = pages > 1 ? `${file.name} page ${page}` : file.name;
      status(`reading ${what}…`);
      const t0 = performance.now();
      try {
        const doc = await api("/api/predict", { method: "POST", body: form });
        pages = doc.state.pages || 1;
        const chart = await open(doc);
        const s = ((performance.now() - t0) / 1000).toFixed(2);
        status(`${what}: ${doc.lines.length} line${doc.lines.length === 1 ? "" : "s"} in ${s} s`);
        show(chart);
      } catch (e) {
        status(`${what}: ${e.message}`, true);
      }
    }
  }
}

async function open(doc) {
  const [mask, image] = await Promise.all([api(`/api/mask/${doc.session}`), loadImage(`/api/image/${doc.session}`)]);
  const chart = { sid: doc.session, name: doc.state.name, doc, w: mask.width, h: mask.height, image,
                  labels: decode(mask), hidden: new Set(), sel: [] };
  const known = charts.findIndex((c) => c.sid === chart.sid);
  if (known >= 0) charts[known] = chart; else charts.push(chart);
  remember();
  return chart;
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const im = new Image();
    im.onload = () => resolve(im);
    im.onerror = () => reject(new Error("the chart's picture did not load"));
    im.src = url;
  });
}

function decode(mask) {
  const labels = new Uint16Array(mask.width * mask.height), r = mask.runs;
  for (let i = 0; i < r.length; i += 3) labels.fill(r[i + 2], r[i], r[i] + r[i + 1]);
  return labels;
}

function remember() {
  localStorage.setItem(STORE_KEY, JSON.stringify(charts.map((c) => ({ sid: c.sid, name: c.name }))));
}

async function reopen() {
  let saved = [];
  try { saved = JSON.parse(localStorage.getItem(STORE_KEY) || "[]"); } catch (e) { saved = []; }
  const linked = location.hash.slice(1);  // a link to a chart (#ID) opens it too
  if (linked && !saved.some((s) => s.sid === linked)) saved.push({ sid: linked });
  for (const { sid } of saved) {
    try { await open(await api(`/api/session/${encodeURIComponent(sid)}`)); } catch (e) { /* expired */ }
  }
  remember();
  const want = charts.find((c) => c.sid === location.hash.slice(1)) || charts[charts.length - 1];
  if (want) show(want);
}

function show(chart) {
  cur = chart;
  history.replaceState(null, "", `#${chart.sid}`);
  $("#drop").hidden = true;
  $("#canvasWrap").hidden = false;
  $("#panel").hidden = false;
  for (const c of [$("#imgCanvas"), $("#overCanvas")]) { c.width = chart.w; c.height = chart.h; }
  const g = $("#imgCanvas").getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, chart.w, chart.h);
  g.globalAlpha = FADE;
  g.drawImage(chart.image, 0, 0);
  g.globalAlpha = 1;
  for (const [id, kind] of [["#expCsv", "csv"], ["#expJson", "json"], ["#expChartinfo", "chartinfo.json"]]) {
    $(id).href = `/api/export/${chart.sid}.${kind}`;
  }
  fillCalib();
  render();
}

// ---------------------------------------------------------------------------------
// drawing

function render() {
  renderNav();
  renderList();
  renderAxes();
  draw();
  $("#undo").disabled = !cur.doc.state.undo;
  $("#redo").disabled = !cur.doc.state.redo;
}

function renderNav() {
  const nav = $("#charts");
  nav.replaceChildren(...charts.map((c) => {
    const b = document.createElement("button");
    b.textContent = `${c.name}${c.doc.state.pages > 1 ? ` p${c.doc.page}` : ""} (${c.doc.lines.length})`;
    b.title = c.name;
    b.classList.toggle("active", c === cur);
    b.onclick = () => show(c);
    return b;
  }));
}

function renderList() {
  const lines = cur.doc.lines;
  $("#count").textContent = `(${lines.length})`;
  $("#lines").replaceChildren(...lines.map((ln) => {
    const li = document.createElement("li");
    li.dataset.id = ln.id;
    li.classList.toggle("sel", cur.sel.includes(ln.id));
    const vis = document.createElement("input");
    vis.type = "checkbox";
    vis.checked = !cur.hidden.has(ln.id);
    vis.title = "show this line";
    vis.onclick = (e) => {
      e.stopPropagation();
      if (vis.checked) cur.hidden.delete(ln.id); else cur.hidden.add(ln.id);
      draw();
    };
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = css(color(ln.id));
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = `line ${ln.id}`;
    const meta = document.createElement("span");
    meta.className = "meta";
    const nm = (ln.markers || []).length;
    meta.textContent = `${ln.points.length} points · ${nm} marker${nm === 1 ? "" : "s"}`;
    li.append(vis, sw, name, meta);
    li.onclick = (e) => select(ln.id, e.shiftKey || e.ctrlKey || e.metaKey);
    return li;
  }));
  const to = $("#lassoTo"), keep = to.value;
  to.replaceChildren(new Option("a new line", "new"), new Option("the background (remove)", "0"),
                     ...lines.map((ln) => new Option(`line ${ln.id}`, String(ln.id))));
  if ([...to.options].some((o) => o.value === keep)) to.value = keep;
}

function renderAxes() {
  const ax = cur.doc.axes, st = cur.doc.state, parts = [];
  if (ax) {
    for (const a of ["x", "y"]) {
      const f = ax[a], vals = f.ticks.filter((t) => t.used).map((t) => t.value).sort((p, q) => p - q);
      parts.push(`${a}: ${f.status}${f.status === "calibrated" ? ` (${f.scale})` : f.reason ? `: ${f.reason}` : ""}` +
                 (vals.length ? `; ticks ${vals.join(", ")}` : ""));
    }
  } else parts.push("axes not read (tick the option “read the axes” before opening a chart)");
  parts.push(st.calib ? `calibration by hand: ${st.calib}${st.log_x ? ", x log" : ""}${st.log_y ? ", y log" : ""}`
                      : "no calibration by hand: exports in " + (ax && ax.units.x === "data" && ax.units.y === "data"
                                                                  ? "the axes' units" : "pixels"));
  $("#axesInfo").replaceChildren(...parts.map((p) => Object.assign(document.createElement("div"), { textContent: p })));
}

function draw() {
  const c = $("#overCanvas"), g = c.getContext("2d"), { w, h, labels } = cur;
  const im = g.createImageData(w, h), px = im.data, cols = {};
  const dim = cur.sel.length > 0, r = HALO;
  for (let i = 0; dim && i < labels.length; i++) {  // selected lines: a yellow halo around their pixels
    if (!cur.sel.includes(labels[i]) || cur.hidden.has(labels[i])) continue;
    const x = i % w, y = (i - x) / w;
    for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
      for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
        const o = 4 * (yy * w + xx);
        px[o] = 255; px[o + 1] = 200; px[o + 2] = 0; px[o + 3] = 150;
      }
    }
  }
  for (let i = 0; i < labels.length; i++) {
    const id = labels[i];
    if (!id || cur.hidden.has(id)) continue;
    const rgb = cols[id] || (cols[id] = color(id));
    const o = 4 * i;
    px[o] = rgb[0]; px[o + 1] = rgb[1]; px[o + 2] = rgb[2];
    px[o + 3] = dim && !cur.sel.includes(id) ? 70 : 255;
  }
  g.putImageData(im, 0, 0);
  const lw = Math.max(1, Math.min(w, h) / 500);
  for (const ln of cur.doc.lines) {  // markers: a circle in the line's colour, outlined in black
    if (cur.hidden.has(ln.id)) continue;
    for (const [x, y] of ln.markers || []) {
      g.beginPath(); g.arc(x, y, 3 * lw, 0, 2 * Math.PI);
      g.fillStyle = css(color(ln.id)); g.fill(); g.lineWidth = lw; g.strokeStyle = "#000"; g.stroke();
    }
  }
  drawTicks(g, lw);
  if (lasso && lasso.length > 1) {
    g.beginPath(); lasso.forEach(([x, y], k) => (k ? g.lineTo(x, y) : g.moveTo(x, y))); g.closePath();
    g.setLineDash([4 * lw, 3 * lw]); g.strokeStyle = "#000"; g.lineWidth = lw; g.stroke(); g.setLineDash([]);
  }
}

function drawTicks(g, lw) {
  g.font = `${Math.round(11 * lw)}px sans-serif`;
  const ax = cur.doc.axes;
  for (const a of ax ? ["x", "y"] : []) {  // the tick labels read: green used, red not
    for (const t of ax[a].ticks) {
      if (!t.box) continue;
      const ok = t.used && ax[a].status === "calibrated", [x0, y0, x1, y1] = t.box;
      g.strokeStyle = g.fillStyle = ok ? "#080" : "#c00"; g.lineWidth = lw;
      g.strokeRect(x0 - 1, y0 - 1, x1 - x0 + 2, y1 - y0 + 2);
      g.fillText(String(t.value), x0, Math.max(10, y0 - 3));
    }
  }
  for (const row of document.querySelectorAll("#calib tr[data-axis]")) {  // the ticks clicked: a ruler each
    const p = parseFloat(row.querySelector(".px").value), v = row.querySelector(".val").value;
    if (!isFinite(p)) continue;
    g.strokeStyle = g.fillStyle = "#06c"; g.lineWidth = lw; g.setLineDash([3 * lw, 3 * lw]); g.beginPath();
    if (row.dataset.axis === "x") { g.moveTo(p, 0); g.lineTo(p, cur.h); } else { g.moveTo(0, p); g.lineTo(cur.w, p); }
    g.stroke(); g.setLineDash([]);
    g.fillText(v === "" ? "?" : v, row.dataset.axis === "x" ? p + 3 : 3, row.dataset.axis === "x" ? 12 * lw : p - 3);
  }
}

// ---------------------------------------------------------------------------------
// interaction

function at(e) {  // pointer -> image pixel
  const r = $("#overCanvas").getBoundingClientRect();
  return [(e.clientX - r.left) * cur.w / r.width, (e.clientY - r.top) * cur.h / r.height];
}

function lineAt(x, y) {  // the nearest visible line within HIT_RADIUS, or 0
  let best = 0, bd = Infinity;
  const cx = Math.round(x), cy = Math.round(y);
  for (let yy = Math.max(0, cy - HIT_RADIUS); yy <= Math.min(cur.h - 1, cy + HIT_RADIUS); yy++) {
    for (let xx = Math.max(0, cx - HIT_RADIUS); xx <= Math.min(cur.w - 1, cx + HIT_RADIUS); xx++) {
      const id = cur.labels[yy * cur.w + xx], d = (xx - x) ** 2 + (yy - y) ** 2;
      if (id && !cur.hidden.has(id) && d < bd) { bd = d; best = id; }
    }
  }
  return best;
}

function select(id, add) {
  if (!id) cur.sel = add ? cur.sel : [];
  else if (add) cur.sel = cur.sel.includes(id) ? cur.sel.filter((s) => s !== id) : [...cur.sel, id];
  else cur.sel = [id];
  renderList();
  draw();
}

async function edit(op) {
  const t0 = performance.now(), chart = cur;  // the chart edited, even if another is shown meanwhile
  try {
    const doc = await api("/api/edit", { method: "POST", headers: { "Content-Type": "application/json" },
                                         body: JSON.stringify({ session: chart.sid, ...op }) });
    const mask = await api(`/api/mask/${chart.sid}`);
    chart.doc = doc;
    chart.labels = decode(mask);
    const ids = new Set(doc.lines.map((ln) => ln.id));
    chart.sel = chart.sel.filter((s) => ids.has(s));
    if (chart !== cur) return;
    render();
    status(`${op.op}: ${doc.lines.length} lines (${Math.round(performance.now() - t0)} ms)`);
  } catch (e) {
    status(`${op.op}: ${e.message}`, true);
  }
}

function setMode(m) {
  mode = m;
  for (const b of document.querySelectorAll("button.mode")) b.classList.toggle("active", b.dataset.mode === m);
  for (const r of document.querySelectorAll("#calib tr")) r.classList.toggle("picking", r === picking);
  $("#hint").textContent = {
    select: "Click a line to select it (shift-click adds). M merges the selected lines, Del deletes them.",
    split: "Click a line where it should be cut: its part right of the click becomes a new line.",
    lasso: "Draw around the pixels to move, then release: they go to the line chosen under the tools.",
    pick: "Click the chart on the tick, then type its value.",
  }[m];
}

function fillCalib() {
  const st = cur.doc.state, [xs, ys] = (st.calib || ";").split(";");
  for (const [axis, part] of [["x", xs], ["y", ys]]) {
    const pairs = part ? part.split(",").map((kv) => kv.split("=")) : [];
    for (const k of [1, 2]) {
      const row = document.querySelector(`#calib tr[data-axis="${axis}"][data-k="${k}"]`);
      row.querySelector(".px").value = pairs[k - 1] ? pairs[k - 1][0] : "";
      row.querySelector(".val").value = pairs[k - 1] ? pairs[k - 1][1] : "";
    }
  }
  $("#logX").checked = !!st.log_x;
  $("#logY").checked = !!st.log_y;
}

function calibText() {  // the rows as --calib: "X1PX=V,X2PX=V;Y1PX=V,Y2PX=V", an axis left empty if incomplete
  return ["x", "y"].map((axis) => {
    const rows = [...document.querySelectorAll(`#calib tr[data-axis="${axis}"]`)]
      .map((r) => [r.querySelector(".px").value.trim(), r.querySelector(".val").value.trim()]);
    return rows.every(([p, v]) => p !== "" && v !== "") ? rows.map(([p, v]) => `${p}=${v}`).join(",") : "";
  }).join(";");
}

function wire() {
  const over = $("#overCanvas");
  over.addEventListener("pointerdown", (e) => {
    if (!cur) return;
    const [x, y] = at(e);
    if (mode === "lasso") { lasso = [[x, y]]; over.setPointerCapture(e.pointerId); return; }
    if (mode === "pick" && picking) {
      picking.querySelector(".px").value = (picking.dataset.axis === "x" ? x : y).toFixed(1);
      picking.querySelector(".val").focus();
      picking = null;
      setMode("select");
      draw();
      return;
    }
    const id = lineAt(x, y);
    if (mode === "split") {
      if (id) edit({ op: "split", line: id, x: Math.round(x) }); else status("split: no line here", true);
      return;
    }
    select(id, e.shiftKey || e.ctrlKey || e.metaKey);
  });
  over.addEventListener("pointermove", (e) => {
    if (!lasso) return;
    const [x, y] = at(e), [px, py] = lasso[lasso.length - 1];
    if (Math.hypot(x - px, y - py) < LASSO_STEP) return;
    lasso.push([x, y]);
    draw();
  });
  over.addEventListener("pointerup", () => {
    if (!lasso) return;
    const poly = lasso.map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
    lasso = null;
    const to = $("#lassoTo").value;
    if (poly.length >= 3) edit({ op: "reassign", polygon: poly, to: to === "new" ? "new" : Number(to) });
    else draw();
  });
  for (const b of document.querySelectorAll("button.mode")) b.onclick = () => setMode(b.dataset.mode);
  $("#merge").onclick = () => (cur.sel.length >= 2 ? edit({ op: "merge", lines: cur.sel })
                                                     : status("merge: select two lines (shift-click)", true));
  $("#delete").onclick = () => (cur.sel.length ? edit({ op: "delete", lines: cur.sel })
                                                : status("delete: select a line first", true));
  $("#undo").onclick = () => edit({ op: "undo" });
  $("#redo").onclick = () => edit({ op: "redo" });
  for (const row of document.querySelectorAll("#calib tr[data-axis]")) {
    row.querySelector(".pick").onclick = () => { picking = row; setMode("pick"); };
    for (const inp of row.querySelectorAll("input")) inp.oninput = () => draw();
  }
  $("#applyCalib").onclick = () => edit({ op: "calibrate", calib: calibText() === ";" ? "" : calibText(),
                                          log_x: $("#logX").checked, log_y: $("#logY").checked });
  $("#clearCalib").onclick = () => edit({ op: "calibrate", calib: "", log_x: false, log_y: false });
  $("#files").onchange = (e) => { upload([...e.target.files]); e.target.value = ""; };
  const stage = $("#stage");
  stage.addEventListener("dragover", (e) => { e.preventDefault(); stage.classList.add("over"); });
  stage.addEventListener("dragleave", () => stage.classList.remove("over"));
  stage.addEventListener("drop", (e) => {
    e.preventDefault();
    stage.classList.remove("over");
    upload([...e.dataTransfer.files]);
  });
  document.addEventListener("keydown", (e) => {
    if (!cur || e.target.tagName === "INPUT") return;
    const k = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && k === "z") { e.preventDefault(); edit({ op: e.shiftKey ? "redo" : "undo" }); }
    else if ((e.ctrlKey || e.metaKey) && k === "y") { e.preventDefault(); edit({ op: "redo" }); }
    else if (k === "delete" || k === "backspace") $("#delete").click();
    else if (k === "m") $("#merge").click();
    else if (k === "s" || k === "escape") setMode("select");
    else if (k === "x") setMode("split");
    else if (k === "l") setMode("lasso");
  });
  setMode("select");
}

wire();
reopen();
