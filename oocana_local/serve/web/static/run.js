// The run page: folds the run's bus messages (BlockStarted, BlockProgress, BlockLog,
// BlockPreview, BlockFinished, FlowFinished, ...) into node states, progress bars, logs,
// previews, outputs and errors. A live run streams them over server-sent events (each
// message once, in order, resumed by id after a dropped connection); a recorded run or a
// report carries them in the page.
"use strict";
(function () {
  const { el, render, jsonTree } = window.OocanaPreviews;
  const data = JSON.parse(document.getElementById("run-data").textContent);
  const GLYPH = { waiting: "○", running: "◔", done: "✓", failed: "✗", cached: "↺",
    skipped: "–", not_run: "∅", timeout: "⌛", crashed: "✗", cancelled: "■",
    completed: "✓", stopped: "■", queued: "○" };
  const FINAL = new Set(["done", "failed", "timeout", "crashed", "cancelled", "cached",
    "skipped", "not_run"]);
  const states = new Map();
  const logNodes = new Set();
  const previewGroups = new Map();
  const logs = document.getElementById("logs");
  const filter = document.getElementById("log-filter");
  let previewCount = 0;

  const plotlySource = document.getElementById("plotly-source");
  const plotly = { url: data.plotly,
    source: () => (plotlySource ? plotlySource.textContent : "") };

  function css(text) { return window.CSS && CSS.escape ? CSS.escape(text) : text; }
  function pathOf(message) {
    return (message.stacks || []).map((s) => s.node_id).join("/");
  }
  function badge(state) {
    return el("span", { class: `badge state-${state}` },
      el("span", { "aria-hidden": "true", text: GLYPH[state] || "•" }),
      " " + state.replace("_", " "));
  }

  function setState(node, state) {
    if (!node) return;
    const previous = states.get(node);
    if (previous === state) return;
    if (previous === "cached" && state === "done") return;
    states.set(node, state);
    const box = document.querySelector(`.node[data-node="${css(node)}"]`);
    if (box) {
      box.className = box.className.replace(/\bstate-\S+/g, "").trim() + ` state-${state}`;
      const word = box.querySelector(".word");
      if (word) word.textContent = state.replace("_", " ");
      const glyph = box.querySelector(".glyph");
      if (glyph) glyph.textContent = GLYPH[state] || "•";
      box.setAttribute("aria-label", `${node}: ${state.replace("_", " ")}`);
      const bar = box.querySelector("progress");
      if (bar && state !== "running") bar.hidden = true;
    }
    const row = document.querySelector(`tr[data-node-row="${css(node)}"] .row-state`);
    if (row) row.replaceChildren(badge(state));
  }

  function setProgress(node, value) {
    const box = document.querySelector(`.node[data-node="${css(node)}"]`);
    const bar = box && box.querySelector("progress");
    if (!bar) return;
    bar.hidden = false;
    bar.value = Math.max(0, Math.min(100, Number(value) || 0));
    bar.setAttribute("aria-label", `${node} progress ${Math.round(bar.value)}%`);
  }

  function log(node, text, kind) {
    const key = node || "(flow)";
    if (!logNodes.has(key)) {
      logNodes.add(key);
      filter.append(el("option", { value: key, text: key }));
    }
    const line = el("span", { class: `log-line log-${kind}`, "data-node": key });
    line.append(el("span", { class: "log-node", text: `[${key}] ` }), String(text));
    line.hidden = Boolean(filter.value) && filter.value !== key;
    const atEnd = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
    logs.append(line, "\n");
    if (atEnd) logs.scrollTop = logs.scrollHeight;
  }
  filter.addEventListener("change", () => {
    for (const line of logs.querySelectorAll(".log-line")) {
      line.hidden = Boolean(filter.value) && filter.value !== line.dataset.node;
    }
  });
  document.addEventListener("node-picked", (event) => {
    if (![...filter.options].some((o) => o.value === event.detail)) return;
    filter.value = filter.value === event.detail ? "" : event.detail;
    filter.dispatchEvent(new Event("change"));
    filter.focus();
  });

  function showError(node, message, traceback) {
    const section = document.getElementById("error-section");
    section.hidden = false;
    const box = el("div", { class: "error-box" });
    box.append(el("p", null, el("strong", { text: node ? `Node ${node} failed: ` :
      "The run failed: " }), el("span", { class: "error-message", text: message })));
    if (traceback) {
      box.append(el("details", { open: true }, el("summary", { text: "Traceback" }),
        el("pre", { class: "traceback", text: traceback })));
    }
    document.getElementById("errors").append(box);
  }

  function showOutputs(outputs) {
    const box = document.getElementById("outputs");
    const entries = Object.entries(outputs || {});
    if (!entries.length) return;
    const list = el("dl", { class: "outputs" });
    for (const [handle, value] of entries) {
      list.append(el("dt", { text: handle }), el("dd", null, jsonTree(value)));
    }
    box.replaceChildren(list);
  }

  function addPreview(node, payload) {
    const box = document.getElementById("previews");
    if (!previewCount) box.replaceChildren();
    previewCount += 1;
    const key = node || "(flow)";
    let group = previewGroups.get(key);
    if (!group) {
      group = el("section", { class: "preview-group", "data-node": key },
        el("h3", null, "Node ", el("code", { text: key })));
      previewGroups.set(key, group);
      box.append(group);
    }
    const kind = payload && payload.type ? String(payload.type) : "value";
    const label = `${kind} preview of ${key}`;
    const shown = render(payload, label, plotly);
    const caption = shown.classList.contains("plotly") ? "plotly chart" : kind;
    group.append(el("figure", { class: `preview preview-${kind.replace(/\W/g, "-")}` },
      shown, el("figcaption", { class: "muted", text: caption })));
  }

  function setRunStatus(status) {
    document.getElementById("run-status").replaceChildren(badge(status));
    const stop = document.getElementById("stop");
    if (stop && status !== "running" && status !== "queued") stop.disabled = true;
  }

  // A block's error is its traceback; its last line says what went wrong.
  function errorText(message) {
    const text = String(message.error || "failed");
    if (!text.startsWith("Traceback")) return [text, null];
    const lines = text.trim().split("\n");
    return [lines[lines.length - 1], text];
  }

  let runEnded = false;
  function handle(message) {
    const type = message.type;
    const node = pathOf(message);
    switch (type) {
      case "FlowStarted": setRunStatus("running"); break;
      case "BlockStarted":
      case "SubflowBlockStarted":
        if (node) setState(node, message.cached ? "cached" : "running");
        break;
      case "BlockProgress": if (node) setProgress(node, message.progress); break;
      case "BlockLog": log(node, message.log, message.stdio === "stderr" ? "stderr" : "out");
        break;
      case "BlockLogJSON": log(node, JSON.stringify(message.json), "out"); break;
      case "BlockWarning": log(node, `warning: ${message.warning}`, "warning"); break;
      case "BlockError": log(node, `error: ${message.error}`, "stderr"); break;
      case "BlockPreview":
        if (!message.node_id || !node.endsWith(String(message.node_id))) {
          addPreview(node, message.payload);
        }
        break;
      case "FlowNodesWillRun":
        if (!node) {
          const going = new Set([...(message.start_nodes || []), ...(message.mid_nodes || []),
            ...(message.end_nodes || [])]);
          document.querySelectorAll(".graph > .node").forEach((box) => {
            const id = box.dataset.node;
            if (!id.includes("/") && box.querySelector(".word") && !going.has(id)) {
              setState(id, "skipped");
            }
          });
        }
        break;
      case "BlockFinished":
      case "SubflowBlockFinished":
        if (!node) { endRun(message); break; }
        {
          const status = message.status || (message.error ? "failed" : "done");
          setState(node, status === "cancelled" && !message.error ? "cancelled" : status);
          if (message.error && status !== "cancelled") {
            const [text, traceback] = errorText(message);
            showError(node, text, traceback);
          }
        }
        break;
      case "FlowFinished":
        if (!node) {
          for (const notRun of Object.keys(message.not_run || {})) setState(notRun, "not_run");
          if (message.outputs) showOutputs(message.outputs);
        } else {
          for (const notRun of Object.keys(message.not_run || {})) {
            setState(`${node}/${notRun}`, "not_run");
          }
        }
        break;
      case "SessionFinished":
        if (!runEnded && !data.live) {
          setRunStatus(message.error ? "failed" : "completed");
        }
        break;
    }
  }

  function endRun(message) {
    runEnded = true;
    const status = message.status === "done" ? "completed" :
      message.status === "cancelled" ? "stopped" : message.status || "completed";
    setRunStatus(status);
    if (message.result) showOutputs(message.result);
    if (message.error && !document.querySelector(".error-box")) {
      showError(null, message.error, null);
    }
    for (const [node, state] of states) {
      if (!FINAL.has(state) && status !== "completed") setState(node, "cancelled");
    }
  }

  if (data.events) {
    data.events.forEach(handle);
  }
  if (data.live) {
    const source = new EventSource(`/runs/${encodeURIComponent(data.id)}/events`);
    source.onmessage = (event) => handle(JSON.parse(event.data));
    source.addEventListener("end", () => {
      source.close();
      document.body.dataset.streamEnded = "true";
    });
  } else {
    document.body.dataset.streamEnded = "true";
  }
})();
