// shenjing playground: the page. Plain JavaScript, no build step, no library, nothing from the
// internet. The server trains the network (shenjing in Python); this page only draws what it
// sends over Server-Sent Events and posts the controls back.
"use strict";

(function () {
  // ---- the configuration, as the URL holds it (config.py's query keys and defaults) ----------
  const DEFAULTS = {
    dataset: "quadrants", noise: 0, samples: 400, train: 0.5, classes: 4,
    features: ["x1", "x2"], hidden: [8, 8], act: ["tanh", "tanh"], loss: "cross_entropy",
    opt: "sgd", lr: 0.03, batch: 10, l1: 0, l2: 0, dropout: 0, seed: 0,
  };
  const KEYS = Object.keys(DEFAULTS);
  const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2"];
  const FEATURE_LABELS = {
    x1: "x\u2081", x2: "x\u2082", "x1^2": "x\u2081\u00b2", "x2^2": "x\u2082\u00b2",
    "x1*x2": "x\u2081x\u2082", sin_x1: "sin x\u2081", sin_x2: "sin x\u2082",
  };
  const FEATURE_FUNCTIONS = {
    x1: (a) => a, x2: (a, b) => b, "x1^2": (a) => a * a, "x2^2": (a, b) => b * b,
    "x1*x2": (a, b) => a * b, sin_x1: (a) => Math.sin(a), sin_x2: (a, b) => Math.sin(b),
  };
  const ACTIVATIONS = {
    sigmoid: "sigmoid", tanh: "tanh", relu: "ReLU", leaky_relu: "leaky ReLU", elu: "ELU",
    gelu: "GELU", swish: "swish", linear: "linear",
  };
  const FIXED_CLASSES = { quadrants: 4, xor: 2, circles: 2, moons: 2 };
  const MAX_LAYERS = 6;
  const MAX_NEURONS = 16;
  const LR_CHOICES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const REG_CHOICES = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3];
  const DROPOUT_CHOICES = [0, 0.1, 0.2, 0.3, 0.5];
  const SAMPLE_CHOICES = [50, 100, 200, 400, 800, 1000, 2000];
  // Sixteen classes (a CSV's most): Tableau's ten, as shenjing.viz draws classes, then six hues
  // or depths that none of the ten has.
  const CLASS_COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
    "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac",
    "#1b3a8c", "#b8d430", "#d6249f", "#00a3cc", "#8c1c13", "#4b2991"];
  const CLASS_RGB = CLASS_COLORS.map(hexToRgb);
  // Neurons and weights: orange for low/negative, purple for high/positive (PuOr).
  const NEG_RGB = hexToRgb("#e08214");
  const MID_RGB = hexToRgb("#f7f7f7");
  const POS_RGB = hexToRgb("#542788");
  const RAMP = buildRamp();

  const $ = (id) => document.getElementById(id);

  function parseQuery(search) {
    const params = new URLSearchParams(search);
    const cfg = structuredClone(DEFAULTS);
    const list = (v) => (v === "" ? [] : v.split(","));
    for (const [key, value] of params) {
      if (!(key in DEFAULTS)) continue;
      if (key === "features") cfg.features = list(value);
      else if (key === "hidden") cfg.hidden = list(value).map(Number);
      else if (key === "act") cfg.act = list(value);
      else if (typeof DEFAULTS[key] === "number") cfg[key] = Number(value);
      else cfg[key] = value;
    }
    // One activation given applies to every layer, as in Config.
    if (cfg.act.length !== cfg.hidden.length) {
      const fill = cfg.act[0] || "tanh";
      cfg.act = cfg.hidden.map((_, i) => cfg.act[i] || fill);
    }
    return cfg;
  }

  function toQuery(cfg) {
    const encode = (v) => encodeURIComponent(v).replace(/%2C/g, ",");
    return KEYS.map((key) => {
      const v = cfg[key];
      return key + "=" + encode(Array.isArray(v) ? v.join(",") : String(v));
    }).join("&");
  }

  // ---- state -----------------------------------------------------------------------------------
  const state = {
    cfg: parseQuery(location.search),
    query: location.search.replace(/^\?/, ""),  // the last canonical query the server accepted
    csv: null,             // the CSV text the running session was built from
    upload: null,          // a CSV text just chosen, until the server accepts it
    id: null,              // the session's id
    source: null,          // the EventSource
    running: false,
    data: null,            // Session.data()
    frame: null,           // the last Session.frame()
    structure: "",         // the diagram's shape, to rebuild it only when it changes
    inflight: false,       // a config POST is under way
    dirty: false,          // and another change came meanwhile
    hover: null,           // {layer, index, el} of the hovered neuron
    errorKind: null,
  };
  const pg = { frames: 0, lastFrame: null, query: state.query, id: null, running: false,
    data: null };
  window.playground = pg;

  // ---- talking to the server -------------------------------------------------------------------
  async function api(method, path, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (err) {
      return { ok: false, status: 0, json: { error: "cannot reach the server: " + err.message } };
    }
    let json = {};
    try {
      json = await response.json();
    } catch (err) {
      json = { error: `the server answered ${response.status} ${response.statusText}` };
    }
    if (!response.ok && !json.error) json.error = `the server answered ${response.status}`;
    return { ok: response.ok, status: response.status, json };
  }

  // A new session on the server from the URL's configuration (and, after a lost session, the
  // uploaded CSV it was using). It starts paused, so the page shows itself paused.
  async function start(restart = false) {
    const csv = state.cfg.dataset === "csv" ? state.csv : null;
    let r = await api("POST", "/api/sessions", { query: state.query, csv });
    if (!r.ok && r.status === 400) {
      const why = r.json.error;
      const hint = state.cfg.dataset === "csv"
        ? " (a link cannot carry an uploaded CSV: upload it again)" : "";
      r = await api("POST", "/api/sessions", { query: "", csv: null });
      showError(`this link's configuration was refused: ${why}${hint}; showing the defaults`,
        "config");
    }
    if (!r.ok) {
      showError(r.json.error, "connection");
      return;
    }
    state.id = r.json.id;
    pg.id = state.id;
    state.frame = null;
    setRunning(false);
    acceptQuery(r.json.query);
    if (restart && state.errorKind !== "config") {
      showError("the server lost this session (it restarted, or the tab was away too long): a "
        + "new one starts from epoch 0 with the same configuration, paused: press Play to train",
        "restarted");
    }
    for (const [id, file] of [["download-script", "script.py"],
      ["download-weights", "weights.safetensors"]]) {
      $(id).href = `/api/sessions/${state.id}/${file}`;
      $(id).classList.remove("disabled");
    }
    connect();
  }

  function connect() {
    if (state.source) state.source.close();
    const source = new EventSource(`/api/sessions/${state.id}/events`);
    state.source = source;
    source.addEventListener("open", () => clearError("connection"));
    source.addEventListener("data", (e) => onData(JSON.parse(e.data)));
    source.addEventListener("frame", (e) => onFrame(JSON.parse(e.data)));
    source.addEventListener("error", (e) => {
      if (source !== state.source) return;
      if (e.data !== undefined) {  // the server's `event: error`: training stopped
        const msg = JSON.parse(e.data).error;
        state.stops = (state.stops || 0) + 1;  // a "play" answered after this must not undo it
        setRunning(false);
        showError(msg, "training");
        return;
      }
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream (404: the session is gone, e.g. the server restarted).
        showError("the session ended on the server: starting a new one", "connection");
        state.source = null;
        state.id = null;  // no control reaches the lost session meanwhile
        setRunning(false);
        setTimeout(() => start(true), 1500);
      } else {
        showError("lost the connection to the server: trying again\u2026", "connection");
      }
    });
  }

  // The server's canonical query becomes the URL and the controls.
  function acceptQuery(query) {
    state.query = query;
    pg.query = query;
    state.cfg = parseQuery(query);
    history.replaceState(null, "", "?" + query);
    renderControls();
  }

  // Send the controls' configuration; the session is rebuilt (paused or playing as before).
  async function sendConfig() {
    if (!state.id) return false;
    if (state.inflight) {
      state.dirty = true;
      return false;
    }
    state.inflight = true;
    const cfg = state.cfg;
    const csv = cfg.dataset !== "csv" ? null : state.upload !== null ? state.upload : state.csv;
    const r = await api("POST", `/api/sessions/${state.id}/config`, { query: toQuery(cfg), csv });
    state.inflight = false;
    if (state.dirty) {  // newer edits wait: send them instead of showing this answer
      state.dirty = false;
      return sendConfig();
    }
    const upload = state.upload;
    state.upload = null;
    if (r.ok) {
      clearError();
      if (csv !== null) state.csv = csv;  // kept, to choose "uploaded CSV" again later
      acceptQuery(r.json.query);  // the stream sends the new data set, then frames
      return true;
    }
    showError(upload !== null ? `the CSV file was refused: ${r.json.error}` : r.json.error,
      "config");
    acceptQuery(state.query);  // the controls go back to what is running
    return false;
  }

  async function control(action) {
    if (!state.id) return;
    const stops = state.stops || 0;
    const r = await api("POST", `/api/sessions/${state.id}/control`, { action });
    if (r.ok) {
      // Training may stop (an error event) before this answer arrives: the stop wins.
      setRunning(r.json.running && (state.stops || 0) === stops);
      if (action === "reset") clearError("training");
    } else {
      showError(r.json.error, "connection");
    }
  }

  function setRunning(running) {
    state.running = running;
    pg.running = running;
    $("play").disabled = running;
    $("pause").disabled = !running;
  }

  // ---- the error banner ------------------------------------------------------------------------
  function showError(message, kind) {
    state.errorKind = kind || "error";
    $("error-text").textContent = message;
    $("error").hidden = false;
  }

  function clearError(kind) {
    if (kind && state.errorKind !== kind) return;
    state.errorKind = null;
    $("error").hidden = true;
    $("error-text").textContent = "";
  }

  // ---- controls --------------------------------------------------------------------------------
  function fillSelect(el, values, label) {
    el.innerHTML = "";
    for (const v of values) el.add(new Option(label ? label(v) : String(v), String(v)));
  }

  // Select `value`, adding it as a choice when a link carries one the list lacks.
  function setSelect(el, value) {
    const match = [...el.options].find((o) => o.value === String(value)
      || (o.value !== "" && Number(o.value) === Number(value)));
    if (match) {
      el.value = match.value;
    } else {
      el.add(new Option(String(value), String(value)));
      el.value = String(value);
    }
  }

  function setupControls() {
    fillSelect($("lr"), LR_CHOICES);
    fillSelect($("l1"), REG_CHOICES);
    fillSelect($("l2"), REG_CHOICES);
    fillSelect($("dropout"), DROPOUT_CHOICES);
    fillSelect($("samples"), SAMPLE_CHOICES);
    fillSelect($("classes"), [2, 3, 4, 5, 6, 7, 8]);

    const bind = (id, key, convert) => $(id).addEventListener("change", (e) => {
      state.cfg[key] = convert(e.target.value);
      sendConfig();
    });
    bind("lr", "lr", Number);
    bind("optimizer", "opt", String);
    bind("loss", "loss", String);
    bind("batch", "batch", (v) => parseInt(v, 10));
    bind("l1", "l1", Number);
    bind("l2", "l2", Number);
    bind("dropout", "dropout", Number);
    bind("seed", "seed", (v) => parseInt(v, 10));
    bind("classes", "classes", (v) => parseInt(v, 10));
    bind("noise", "noise", Number);
    bind("samples", "samples", (v) => parseInt(v, 10));
    bind("train", "train", Number);
    $("noise").addEventListener("input", (e) => { $("noise-value").value = e.target.value; });
    $("train").addEventListener("input", (e) => { $("train-value").value = ratio(e.target.value); });

    $("dataset").addEventListener("change", (e) => {
      const dataset = e.target.value;
      if (dataset === "csv" && state.csv === null) {
        $("csv").click();  // nothing uploaded yet: ask for a file, keep the data set meanwhile
        setSelect($("dataset"), state.cfg.dataset);
        return;
      }
      state.cfg.dataset = dataset;
      if (dataset in FIXED_CLASSES) state.cfg.classes = FIXED_CLASSES[dataset];
      sendConfig();
    });
    $("csv").addEventListener("change", async (e) => {
      const file = e.target.files[0];
      if (!file) return;
      const text = await file.text();
      e.target.value = "";  // the same file may be chosen again
      state.upload = text;
      state.cfg.dataset = "csv";
      const accepted = await sendConfig();
      if (accepted) {
        state.csvName = `${file.name} (${text.split("\n").filter((l) => l.trim()).length} lines)`;
        $("csv-status").textContent = state.csvName;
      }
    });
    $("reseed").addEventListener("click", () => {
      state.cfg.seed = Math.floor(Math.random() * 100000);
      sendConfig();
    });

    $("add-layer").addEventListener("click", () => {
      const { hidden, act } = state.cfg;
      if (hidden.length >= MAX_LAYERS) return;
      hidden.push(hidden.length ? Math.min(hidden[hidden.length - 1], 8) : 4);
      act.push(act.length ? act[act.length - 1] : "tanh");
      sendConfig();
    });
    $("remove-layer").addEventListener("click", () => {
      if (!state.cfg.hidden.length) return;
      state.cfg.hidden.pop();
      state.cfg.act.pop();
      sendConfig();
    });

    $("play").addEventListener("click", () => control("play"));
    $("pause").addEventListener("click", () => control("pause"));
    $("step").addEventListener("click", () => control("step"));
    $("reset").addEventListener("click", () => control("reset"));
    $("error-close").addEventListener("click", () => clearError());
    document.addEventListener("keydown", (e) => {
      if (e.key !== " " || e.target.closest("input, select, button, a")) return;
      e.preventDefault();
      control(state.running ? "pause" : "play");
    });
    window.addEventListener("resize", () => { layoutEdges(); drawEdges(); });
    window.addEventListener("pagehide", () => {
      if (state.id) fetch(`/api/sessions/${state.id}`, { method: "DELETE", keepalive: true });
    });
    setRunning(false);
  }

  function ratio(train) {
    const t = Math.round(Number(train) * 100);
    return `${t}% / ${100 - t}%`;
  }

  // The controls show state.cfg.
  function renderControls() {
    const cfg = state.cfg;
    setSelect($("dataset"), cfg.dataset);
    setSelect($("lr"), cfg.lr);
    setSelect($("optimizer"), cfg.opt);
    setSelect($("loss"), cfg.loss);
    setSelect($("l1"), cfg.l1);
    setSelect($("l2"), cfg.l2);
    setSelect($("dropout"), cfg.dropout);
    setSelect($("samples"), cfg.samples);
    $("batch").value = cfg.batch;
    $("seed").value = cfg.seed;
    $("noise").value = cfg.noise;
    $("noise-value").value = cfg.noise;
    $("train").value = cfg.train;
    $("train-value").value = ratio(cfg.train);
    const fixed = cfg.dataset in FIXED_CLASSES || cfg.dataset === "csv";
    const classes = cfg.dataset in FIXED_CLASSES ? FIXED_CLASSES[cfg.dataset]
      : cfg.dataset === "csv" && state.data ? state.data.classes : cfg.classes;
    setSelect($("classes"), classes);
    $("classes").disabled = fixed;
    $("classes").title = fixed ? "this data set fixes the number of classes" : "";
    $("layer-count").textContent = cfg.hidden.length;
    $("add-layer").disabled = cfg.hidden.length >= MAX_LAYERS;
    $("remove-layer").disabled = cfg.hidden.length === 0;
    buildDiagram();
    syncDiagram();
  }

  // The diagram's own controls show state.cfg too: buildDiagram keeps a diagram whose shape is
  // unchanged, but a click may have ticked a box or chosen an activation the server then refused.
  function syncDiagram() {
    const cfg = state.cfg;
    for (const name of FEATURES) {
      const box = $("feature-" + name.replace(/[^a-z0-9]/gi, "_"));
      if (!box) continue;
      box.checked = cfg.features.includes(name);
      box.closest(".feature-row").classList.toggle("off", !box.checked);
    }
    for (const select of document.querySelectorAll(".activation")) {
      select.value = cfg.act[Number(select.dataset.layer)];
    }
  }

  // ---- the network diagram ---------------------------------------------------------------------
  // Columns: the input features (all seven, unused ones dimmed), each hidden layer, the outputs.
  function buildDiagram() {
    const cfg = state.cfg;
    const k = outputCount();
    const structure = JSON.stringify([cfg.features, cfg.hidden, cfg.act, k]);
    if (structure === state.structure) return;
    state.structure = structure;
    const columns = $("columns");
    columns.innerHTML = "";

    const inputs = column("Features", "which inputs the network sees");
    for (const name of FEATURES) {
      const on = cfg.features.includes(name);
      const row = document.createElement("div");
      row.className = "feature-row" + (on ? "" : " off");
      const tile = document.createElement("div");
      tile.className = "feature";
      tile.dataset.feature = name;
      tile.title = `${FEATURE_LABELS[name]} over the plane`;
      tile.appendChild(document.createElement("canvas"));
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = "feature-" + name.replace(/[^a-z0-9]/gi, "_");
      box.checked = on;
      box.addEventListener("change", () => {
        state.cfg.features = FEATURES.filter((f) => f === name ? box.checked
          : state.cfg.features.includes(f));
        sendConfig();
      });
      label.append(box, FEATURE_LABELS[name]);
      row.append(tile, label);
      inputs.tiles.appendChild(row);
    }
    columns.appendChild(inputs.el);

    cfg.hidden.forEach((n, layer) => {
      const col = column("", "");
      const count = document.createElement("div");
      count.className = "count";
      const minus = smallButton("\u2212", "one neuron fewer", n <= 1, () => {
        state.cfg.hidden[layer] -= 1;
        sendConfig();
      });
      const plus = smallButton("+", "one neuron more", n >= MAX_NEURONS, () => {
        state.cfg.hidden[layer] += 1;
        sendConfig();
      });
      minus.classList.add("remove-neuron");
      plus.classList.add("add-neuron");
      minus.dataset.layer = plus.dataset.layer = layer;
      const text = document.createElement("span");
      text.textContent = `${n}`;
      count.append(minus, text, plus);
      const select = document.createElement("select");
      select.className = "activation";
      select.dataset.layer = layer;
      select.title = `activation of hidden layer ${layer + 1}`;
      fillSelect(select, Object.keys(ACTIVATIONS), (a) => ACTIVATIONS[a]);
      select.value = cfg.act[layer];
      select.addEventListener("change", () => {
        state.cfg.act[layer] = select.value;
        sendConfig();
      });
      col.head.append(count, select);
      for (let i = 0; i < n; i++) {
        const tile = document.createElement("div");
        tile.className = "neuron";
        tile.dataset.layer = layer;
        tile.dataset.index = i;
        tile.appendChild(document.createElement("canvas"));
        tile.addEventListener("mouseenter", () => hover(layer, i, tile));
        tile.addEventListener("mouseleave", unhover);
        col.tiles.appendChild(tile);
      }
      columns.appendChild(col.el);
    });

    const outs = column("Output", "one unit per class");
    outs.tiles.classList.add("outs");
    for (let c = 0; c < k; c++) {
      const tile = document.createElement("div");
      tile.className = "out";
      tile.dataset.index = c;
      tile.style.background = CLASS_COLORS[c % CLASS_COLORS.length];
      tile.title = className(c);
      tile.addEventListener("mouseenter", () => hover(cfg.hidden.length, c, tile));
      tile.addEventListener("mouseleave", unhover);
      outs.tiles.appendChild(tile);
    }
    columns.appendChild(outs.el);
    drawFeatures();
    layoutEdges();
    if (state.frame) drawFrame(state.frame);
  }

  function column(title, tip) {
    const el = document.createElement("div");
    el.className = "column";
    const head = document.createElement("div");
    head.className = "column-head";
    if (title) {
      const h = document.createElement("span");
      h.textContent = title;
      h.title = tip;
      head.appendChild(h);
    }
    const tiles = document.createElement("div");
    tiles.className = "tiles";
    el.append(head, tiles);
    return { el, head, tiles };
  }

  function smallButton(text, title, disabled, onclick) {
    const b = document.createElement("button");
    b.className = "small";
    b.textContent = text;
    b.title = title;
    b.disabled = disabled;
    b.addEventListener("click", onclick);
    return b;
  }

  function outputCount() {
    if (state.frame && state.frame.layers.length) {
      const last = state.frame.layers[state.frame.layers.length - 1];
      return last.bias.length;
    }
    if (state.data) return state.data.classes;
    const cfg = state.cfg;
    return cfg.dataset in FIXED_CLASSES ? FIXED_CLASSES[cfg.dataset] : cfg.classes;
  }

  // Each input feature's own value over the plane, drawn like a neuron.
  function drawFeatures() {
    if (!state.data) return;
    const [xmin, xmax, ymin, ymax] = state.data.bounds;
    const g = 20;
    for (const tile of document.querySelectorAll(".feature")) {
      const f = FEATURE_FUNCTIONS[tile.dataset.feature];
      const values = new Float32Array(g * g);
      for (let r = 0; r < g; r++) {
        const y = ymax - (r + 0.5) / g * (ymax - ymin);
        for (let c = 0; c < g; c++) {
          values[r * g + c] = f(xmin + (c + 0.5) / g * (xmax - xmin), y);
        }
      }
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const bytes = new Uint8Array(g * g);
      values.forEach((v, i) => { bytes[i] = hi > lo ? Math.round(255 * (v - lo) / (hi - lo)) : 128; });
      paintRamp(tile.querySelector("canvas"), bytes, g);
    }
  }

  function paintRamp(canvas, bytes, g) {
    if (canvas.width !== g) { canvas.width = g; canvas.height = g; }
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(g, g);
    for (let i = 0; i < g * g; i++) {
      const rgb = RAMP[bytes[i]];
      image.data[4 * i] = rgb[0];
      image.data[4 * i + 1] = rgb[1];
      image.data[4 * i + 2] = rgb[2];
      image.data[4 * i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  }

  // Where each tile's edges attach, relative to the diagram; recomputed when the layout changes.
  let anchors = null;
  function layoutEdges() {
    const diagram = $("diagram");
    const box = diagram.getBoundingClientRect();
    const canvas = $("edges");
    const dpr = window.devicePixelRatio || 1;
    canvas.style.width = box.width + "px";
    canvas.style.height = box.height + "px";
    canvas.width = Math.round(box.width * dpr);
    canvas.height = Math.round(box.height * dpr);
    const at = (el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left - box.left, right: r.right - box.left, y: r.top - box.top + r.height / 2 };
    };
    const features = {};
    for (const tile of document.querySelectorAll(".feature")) features[tile.dataset.feature] = at(tile);
    const hidden = state.cfg.hidden.map((_, l) => [...document.querySelectorAll(
      `.neuron[data-layer="${l}"]`)].map(at));
    const outs = [...document.querySelectorAll(".out")].map(at);
    anchors = { features, hidden, outs };
  }

  function drawEdges() {
    const canvas = $("edges");
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const frame = state.frame;
    if (!frame || !anchors || !matchesDiagram(frame)) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.scale(dpr, dpr);
    let maxAbs = 1;
    for (const layer of frame.layers) {
      for (const row of layer.weight) for (const w of row) maxAbs = Math.max(maxAbs, Math.abs(w));
    }
    const columns = [frame.inputs.map((name) => anchors.features[name]), ...anchors.hidden,
      anchors.outs];
    frame.layers.forEach((layer, l) => {
      const from = columns[l];
      const to = columns[l + 1];
      layer.weight.forEach((row, j) => row.forEach((w, i) => {
        const a = from[i];
        const b = to[j];
        if (!a || !b) return;
        const s = Math.abs(w) / maxAbs;
        ctx.strokeStyle = rgba(w < 0 ? NEG_RGB : POS_RGB, 0.15 + 0.75 * Math.min(1, s * 1.5));
        ctx.lineWidth = 0.4 + 4 * s;
        ctx.beginPath();
        const mid = (a.right + b.left) / 2;
        ctx.moveTo(a.right, a.y);
        ctx.bezierCurveTo(mid, a.y, mid, b.y, b.left, b.y);
        ctx.stroke();
      }));
    });
  }

  function matchesDiagram(frame) {
    const cfg = state.cfg;
    if (frame.layers.length !== cfg.hidden.length + 1) return false;
    return cfg.hidden.every((n, l) => frame.layers[l].bias.length === n)
      && frame.inputs.length === cfg.features.length
      && frame.layers[frame.layers.length - 1].bias.length === document.querySelectorAll(".out").length;
  }

  // ---- hovering a neuron: its weights and bias -------------------------------------------------
  function hover(layer, index, el) {
    state.hover = { layer, index, el };
    renderTooltip();
  }

  function unhover() {
    state.hover = null;
    $("tooltip").hidden = true;
  }

  function renderTooltip() {
    const h = state.hover;
    const tip = $("tooltip");
    const frame = state.frame;
    if (!h || !frame || !frame.layers[h.layer] || !frame.layers[h.layer].weight[h.index]) {
      tip.hidden = true;
      return;
    }
    const layer = frame.layers[h.layer];
    const weights = layer.weight[h.index];
    const bias = layer.bias[h.index];
    const output = h.layer === frame.layers.length - 1;
    const sources = h.layer === 0 ? frame.inputs.map((f) => FEATURE_LABELS[f] || f)
      : weights.map((_, i) => `h${h.layer}.${i + 1}`);
    const title = output ? `output for ${className(h.index)}`
      : `hidden layer ${h.layer + 1}, neuron ${h.index + 1} (${ACTIVATIONS[state.cfg.act[h.layer]] || ""})`;
    const maxAbs = Math.max(1e-9, ...weights.map(Math.abs));
    const rows = weights.map((w, i) => {
      const width = Math.round(60 * Math.abs(w) / maxAbs);
      return `<tr><td>${sources[i]}</td><td class="w">${fmt(w)}</td>`
        + `<td><span class="${w < 0 ? "bar-neg" : "bar-pos"}" style="width:${width}px"></span></td></tr>`;
    }).join("");
    const formula = output ? "logit = \u03a3 w\u00b7input + b" : "output = act(\u03a3 w\u00b7input + b)";
    tip.innerHTML = `<b>${title}</b><br>${formula}<br>bias b = <b class="bias">${fmt(bias)}</b>`
      + `<table class="weights"><tr><td>from</td><td class="w">weight</td><td></td></tr>${rows}</table>`;
    tip.hidden = false;
    const r = h.el.getBoundingClientRect();
    const tr = tip.getBoundingClientRect();
    let left = r.right + 10;
    if (left + tr.width > window.innerWidth - 4) left = r.left - tr.width - 10;
    const top = Math.min(Math.max(4, r.top - 10), window.innerHeight - tr.height - 4);
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  // ---- frames ------------------------------------------------------------------------------------
  function onData(data) {
    state.data = data;
    pg.data = data;
    clearError("connection");
    if (data.query && data.query !== state.query && !state.inflight) acceptQuery(data.query);
    state.structure = "";  // the output count may have changed (a CSV's labels)
    renderControls();
    drawLegend();
    if (!state.frame) drawSurface(null);
  }

  function onFrame(frame) {
    pg.frames += 1;
    pg.lastFrame = frame;
    state.frame = frame;
    clearError("connection");
    if (frame.error) {
      setRunning(false);
      showError(frame.error, "training");
    }
    if (!matchesDiagram(frame)) {
      state.structure = "";
      buildDiagram();
    }
    drawFrame(frame);
  }

  function drawFrame(frame) {
    $("epoch").textContent = frame.epoch < 100 ? frame.epoch.toFixed(2) : frame.epoch.toFixed(1);
    $("samples-seen").textContent = String(frame.samples_seen);
    $("train-loss").textContent = loss(frame.train_loss);
    $("test-loss").textContent = loss(frame.test_loss);
    drawSurface(frame);
    if (matchesDiagram(frame)) {
      frame.neurons.forEach((layer, l) => layer.forEach((b64, i) => {
        const tile = document.querySelector(`.neuron[data-layer="${l}"][data-index="${i}"] canvas`);
        if (tile) paintRamp(tile, decode(b64), frame.neuron_grid);
      }));
    }
    drawEdges();
    drawCurves(frame.history);
    if (state.hover) renderTooltip();
  }

  function loss(v) {
    return v === null || v === undefined ? "\u2013" : Number.isFinite(v) ? v.toFixed(3) : String(v);
  }

  function fmt(v) {
    return (v >= 0 ? "+" : "") + v.toFixed(3);
  }

  // The decision surface: one hue per class, lightness from confidence; then the points.
  const surfaceImage = document.createElement("canvas");
  function drawSurface(frame) {
    const canvas = $("surface");
    const dpr = window.devicePixelRatio || 1;
    const size = 320;
    if (canvas.width !== size * dpr) { canvas.width = size * dpr; canvas.height = size * dpr; }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    if (frame && frame.surface) {
      const G = frame.grid;
      const classes = decode(frame.surface);
      const confidence = decode(frame.confidence);
      surfaceImage.width = G;
      surfaceImage.height = G;
      const sctx = surfaceImage.getContext("2d");
      const image = sctx.createImageData(G, G);
      for (let i = 0; i < G * G; i++) {
        const rgb = CLASS_RGB[classes[i] % CLASS_RGB.length];
        const t = 0.12 + 0.68 * (confidence[i] / 255);  // 0.12: even a coin toss shows its class
        image.data[4 * i] = 255 + (rgb[0] - 255) * t;
        image.data[4 * i + 1] = 255 + (rgb[1] - 255) * t;
        image.data[4 * i + 2] = 255 + (rgb[2] - 255) * t;
        image.data[4 * i + 3] = 255;
      }
      sctx.putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(surfaceImage, 0, 0, size, size);
    }
    const data = state.data;
    if (!data) return;
    const [xmin, xmax, ymin, ymax] = data.bounds;
    const px = (x) => (x - xmin) / (xmax - xmin) * size;
    const py = (y) => (ymax - y) / (ymax - ymin) * size;
    // The axes through the origin, faintly, when it is on the plane.
    ctx.strokeStyle = "rgba(0,0,0,0.12)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    if (xmin < 0 && xmax > 0) { ctx.moveTo(px(0), 0); ctx.lineTo(px(0), size); }
    if (ymin < 0 && ymax > 0) { ctx.moveTo(0, py(0)); ctx.lineTo(size, py(0)); }
    ctx.stroke();
    for (const [x, y, label] of data.test) {
      const rgb = CLASS_RGB[label % CLASS_RGB.length];
      ctx.beginPath();
      ctx.arc(px(x), py(y), 2.8, 0, 2 * Math.PI);
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fill();
      ctx.lineWidth = 1.4;
      ctx.strokeStyle = rgba(darker(rgb), 1);
      ctx.stroke();
    }
    for (const [x, y, label] of data.train) {
      const rgb = CLASS_RGB[label % CLASS_RGB.length];
      ctx.beginPath();
      ctx.arc(px(x), py(y), 3, 0, 2 * Math.PI);
      ctx.fillStyle = rgba(rgb, 1);
      ctx.fill();
      ctx.lineWidth = 0.8;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.stroke();
    }
    ctx.fillStyle = "rgba(0,0,0,0.45)";
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillText(`x\u2081 ${xmin.toFixed(1)} \u2026 ${xmax.toFixed(1)}`, 4, size - 4);
    ctx.save();
    ctx.translate(size - 4, size - 4);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(`x\u2082 ${ymin.toFixed(1)} \u2026 ${ymax.toFixed(1)}`, 0, 0);
    ctx.restore();
  }

  function drawLegend() {
    const legend = $("legend");
    legend.innerHTML = "";
    const k = state.data ? state.data.classes : 0;
    for (let c = 0; c < k; c++) {
      const item = document.createElement("span");
      item.className = "class";
      const dot = document.createElement("i");
      dot.style.background = CLASS_COLORS[c % CLASS_COLORS.length];
      item.append(dot, className(c));
      legend.appendChild(item);
    }
    const note = document.createElement("span");
    note.style.color = "#6b7280";
    note.textContent = "\u25cf train  \u25cb test";
    legend.appendChild(note);
  }

  // A class's name: a CSV's own label when the data event gives the names (`label_names`,
  // in class order), else its index.
  function className(c) {
    const names = state.data && state.data.label_names;
    return names && names[c] !== undefined ? String(names[c]) : `class ${c}`;
  }

  // Train (solid) and test (dashed) loss against epochs.
  function drawCurves(history) {
    const canvas = $("curves");
    const dpr = window.devicePixelRatio || 1;
    const W = 320;
    const H = 110;
    if (canvas.width !== W * dpr) { canvas.width = W * dpr; canvas.height = H * dpr; }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const left = 34;
    const right = W - 6;
    const top = 8;
    const bottom = H - 16;
    ctx.strokeStyle = "#d1d5db";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(left, top);
    ctx.lineTo(left, bottom);
    ctx.lineTo(right, bottom);
    ctx.stroke();
    ctx.fillStyle = "#6b7280";
    ctx.font = "10px system-ui, sans-serif";
    const epochs = history ? history.epoch : [];
    if (!epochs.length) {
      ctx.fillText("loss curves appear as it trains", left + 8, (top + bottom) / 2);
      return;
    }
    const finite = (v) => v !== null && Number.isFinite(v);
    const all = [...history.train, ...history.test].filter(finite);
    const hi = Math.max(1e-6, ...all);
    const x0 = epochs[0];
    const x1 = Math.max(epochs[epochs.length - 1], x0 + 1e-9);
    const X = (e) => left + (e - x0) / (x1 - x0) * (right - left);
    const Y = (v) => bottom - Math.min(v, hi) / hi * (bottom - top);
    const series = [[history.train, CLASS_COLORS[0], []], [history.test, CLASS_COLORS[1], [4, 3]]];
    for (const [values, color, dash] of series) {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.6;
      ctx.setLineDash(dash);
      ctx.beginPath();
      let pen = false;
      values.forEach((v, i) => {
        if (!finite(v)) { pen = false; return; }
        if (pen) ctx.lineTo(X(epochs[i]), Y(v)); else ctx.moveTo(X(epochs[i]), Y(v));
        pen = true;
      });
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.fillStyle = "#6b7280";
    ctx.textAlign = "right";
    ctx.fillText(hi.toPrecision(2), left - 4, top + 8);
    ctx.fillText("0", left - 4, bottom);
    ctx.textAlign = "left";
    ctx.fillText(`epoch ${x0.toFixed(0)}`, left, H - 3);
    ctx.textAlign = "right";
    ctx.fillText(`${x1.toFixed(1)}`, right, H - 3);
    ctx.fillStyle = CLASS_COLORS[0];
    ctx.fillText("train \u2014", right - 60, top + 8);
    ctx.fillStyle = CLASS_COLORS[1];
    ctx.fillText("test - -", right, top + 8);
    ctx.textAlign = "left";
  }

  // ---- small helpers ---------------------------------------------------------------------------
  function decode(b64) {
    const s = atob(b64);
    const bytes = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    return bytes;
  }

  function hexToRgb(hex) {
    const n = parseInt(hex.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  function rgba(rgb, a) {
    return `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${a})`;
  }

  function darker(rgb) {
    return rgb.map((v) => Math.round(v * 0.62));
  }

  function buildRamp() {
    const ramp = [];
    for (let i = 0; i < 256; i++) {
      const t = i / 255;
      const [a, b, u] = t < 0.5 ? [NEG_RGB, MID_RGB, t * 2] : [MID_RGB, POS_RGB, t * 2 - 1];
      ramp.push(a.map((v, c) => Math.round(v + (b[c] - v) * u)));
    }
    return ramp;
  }

  setupControls();
  renderControls();
  drawSurface(null);
  drawCurves(null);
  for (const id of ["download-script", "download-weights"]) $(id).classList.add("disabled");
  start();
})();
