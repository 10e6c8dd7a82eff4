// Renders one preview payload ({type, data}) as an element: tables (sortable, paged,
// with their row count), images, plotly and other html (in a sandboxed iframe), markdown
// (HTML made by the server, raw HTML off), JSON as a tree, text, audio and video.
"use strict";
window.OocanaPreviews = (function () {
  const PAGE = 25;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function cellText(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function table(data, label) {
    const columns = (data.columns || []).map(cellText);
    let rows = (data.rows || []).slice();
    const count = typeof data.row_count === "number" ? data.row_count : rows.length;
    const wrap = el("div", { class: "preview-table" });
    const info = el("p", { class: "muted table-count",
      text: `${count} row${count === 1 ? "" : "s"}` +
            (count > rows.length ? ` (${rows.length} sent: the first and last ones)` : "") });
    const tableEl = el("table", { class: "data" });
    tableEl.append(el("caption", { class: "sr-only", text: label }));
    const head = el("tr");
    let sortBy = -1, ascending = true, page = 0;
    columns.forEach((name, index) => {
      const button = el("button", { type: "button", class: "sort", text: name || "(index)" });
      const th = el("th", { scope: "col", "aria-sort": "none" }, button);
      button.addEventListener("click", () => {
        ascending = sortBy === index ? !ascending : true;
        sortBy = index;
        head.querySelectorAll("th").forEach((h) => h.setAttribute("aria-sort", "none"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        rows.sort((a, b) => compare(a[index], b[index]) * (ascending ? 1 : -1));
        page = 0;
        draw();
      });
      head.append(th);
    });
    const body = el("tbody");
    tableEl.append(el("thead", null, head), body);
    const pager = el("div", { class: "pager" });
    const prev = el("button", { type: "button", text: "Previous page" });
    const next = el("button", { type: "button", text: "Next page" });
    const where = el("span", { "aria-live": "polite" });
    prev.addEventListener("click", () => { page -= 1; draw(); });
    next.addEventListener("click", () => { page += 1; draw(); });
    pager.append(prev, where, next);
    function draw() {
      const pages = Math.max(1, Math.ceil(rows.length / PAGE));
      page = Math.min(Math.max(page, 0), pages - 1);
      body.replaceChildren(...rows.slice(page * PAGE, page * PAGE + PAGE).map((row) =>
        el("tr", null, ...row.map((cell) => el("td", { text: cellText(cell) })))));
      where.textContent = `page ${page + 1} of ${pages}`;
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
      pager.hidden = pages === 1;
    }
    draw();
    wrap.append(info, el("div", { class: "scroll-x" }, tableEl), pager);
    return wrap;
  }

  function compare(a, b) {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  function isUrl(text) {
    return typeof text === "string" && /^(data:|https?:|blob:|\/)/.test(text);
  }

  function media(tag, data, label) {
    const items = Array.isArray(data) ? data : [data];
    const wrap = el("div", { class: "preview-media" });
    items.forEach((item, index) => {
      if (!isUrl(item)) {
        wrap.append(el("p", null, `${tag} file: `, el("code", { text: cellText(item) })));
        return;
      }
      const name = `${label}${items.length > 1 ? ` (${index + 1})` : ""}`;
      if (tag === "image") wrap.append(el("img", { src: item, alt: name, loading: "lazy" }));
      else wrap.append(el(tag, { src: item, controls: true, "aria-label": name }));
    });
    return wrap;
  }

  // plotly pages load plotly.js from a file:// URL: the page cannot, so they get the
  // server's copy (or, in a self-contained report, the copy inside the report).
  const PLOTLY_TAG = /<script[^>]*\ssrc=["'][^"']*plotly[^"']*\.js["'][^>]*>\s*<\/script>/i;
  function htmlFrame(source, label, plotly) {
    let page = String(source);
    const isPlotly = PLOTLY_TAG.test(page);
    if (isPlotly) {
      page = page.replace(PLOTLY_TAG, () => plotly.url
        ? `<script src="${new URL(plotly.url, location.href).href}"></script>`
        : `<script>${plotly.source()}</script>`);
    }
    const frame = el("iframe", { sandbox: "allow-scripts", title: label,
      class: isPlotly ? "preview-html plotly" : "preview-html" });
    frame.srcdoc = page;
    return frame;
  }

  function jsonTree(value, key) {
    const label = key === undefined ? "" : `${key}: `;
    if (value === null || typeof value !== "object") {
      return el("div", { class: `json-leaf json-${value === null ? "null" : typeof value}` },
        el("span", { class: "json-key", text: label }), JSON.stringify(value));
    }
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    const kind = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
    const details = el("details", { class: "json-node", open: entries.length <= 20 });
    details.append(el("summary", null, el("span", { class: "json-key", text: label }), kind));
    for (const [k, v] of entries) details.append(jsonTree(v, k));
    return details;
  }

  function render(payload, label, plotly) {
    if (payload === null || typeof payload !== "object" || !("type" in payload)) {
      return el("div", { class: "preview-json" }, jsonTree(payload));
    }
    const data = payload.data;
    switch (payload.type) {
      case "table":
        if (data && Array.isArray(data.rows)) return table(data, label);
        break;
      case "image": return media("image", data, label);
      case "audio": return media("audio", data, label);
      case "video": return media("video", data, label);
      case "html": return htmlFrame(data, label, plotly);
      case "iframe":
        return el("iframe", { sandbox: "allow-scripts", src: data, title: label,
          class: "preview-html" });
      case "markdown":
        if (typeof payload.html === "string") {
          const box = el("div", { class: "preview-markdown" });
          box.innerHTML = payload.html; // made by the server with raw HTML turned off
          return box;
        }
        return el("pre", { class: "preview-text", text: cellText(data) });
      case "json": return el("div", { class: "preview-json" }, jsonTree(data));
      case "text": return el("pre", { class: "preview-text", text: cellText(data) });
    }
    return el("div", { class: "preview-json" }, jsonTree(payload));
  }

  return { render, el, jsonTree };
})();
