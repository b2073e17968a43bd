// frame.js is injected by the bench into the widget's iframe (and the
// reference page's) before the page's own scripts run. It records, as
// absolute times (performance.timeOrigin + a time in this document), when
// the comparison table was first painted, when the widget said it was ready
// to answer, when the wasm took over, and the document's own layout shifts.
// Absolute times because the iframe is another document, with another time
// origin, than the partner page the figures are measured from: the bench
// subtracts the partner page's performance.timeOrigin. Both origins come
// from the same machine's clock, read by two processes.
(() => {
  if (window === top) return;
  const abs = (t) => performance.timeOrigin + t;
  const m = {
    navStart: performance.timeOrigin,
    tableInDOM: 0,
    tablePainted: 0,
    fcp: 0,
    ready: 0, // <html data-forgefit-ready="true"> seen
    formAtReady: null, // form() when ready was seen
    wasm: 0, // <html data-forgefit-wasm="true"> seen
    takeoverMark: 0, // performance.mark("forgefit:takeover")
    wasmStarted: 0, // app.js's mark after Go's first run: the client has started
    error: "", // <html data-forgefit-wasm-error> (app.js could not start the wasm)
    shifts: [], // [time, value] of this document's layout shifts without recent input
    shiftSources: [], // for BENCH_DEBUG
    loadEnd: 0,
  };
  window.__forgefitBench = m;
  addEventListener("load", () => setTimeout(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    if (nav) m.loadEnd = abs(nav.loadEventEnd);
  }));

  // form says whether the first question can be answered and submitted:
  // the widget page's contract is form#ff-quiz with radios named option and
  // an enabled submit button do=next. form.elements also holds controls
  // tied to the form from outside it (form=ff-quiz), as a submit would.
  const form = () => {
    const f = document.querySelector("form#ff-quiz");
    if (!f) return { form: false, radios: 0, next: "missing" };
    const els = [...f.elements];
    const next = els.find((e) => e.matches("button[name=do][value=next]"));
    return {
      form: true,
      radios: els.filter((e) => e.matches("input[type=radio][name=option]:enabled")).length,
      next: next ? (next.matches(":enabled") ? "enabled" : "disabled") : "missing",
    };
  };
  window.__forgefitBenchForm = form;

  // The table's first paint is the first contentful paint when the table
  // is in the document by then (the prerendered page); for a table that
  // comes later, Element Timing reports when its text was first painted,
  // but only for elements with an elementtiming attribute. The product does
  // not put one on its table, so the cells get it as they are inserted:
  // mutation callbacks run at the end of each parser task, before the next
  // frame is painted.
  const tagCells = (table) => {
    for (const el of table.querySelectorAll("caption, th, td")) {
      if (!el.hasAttribute("elementtiming")) el.setAttribute("elementtiming", "forgefit-bench-table");
    }
  };
  const check = () => {
    const now = abs(performance.now());
    if (!m.tablePainted) {
      const table = document.querySelector("table");
      if (table) {
        if (!m.tableInDOM) m.tableInDOM = now;
        tagCells(table);
      }
    }
    const root = document.documentElement;
    if (root) {
      if (!m.ready && root.getAttribute("data-forgefit-ready") === "true") {
        m.ready = now;
        m.formAtReady = form();
      }
      if (!m.wasm && root.getAttribute("data-forgefit-wasm") === "true") m.wasm = now;
      if (!m.error && root.hasAttribute("data-forgefit-wasm-error")) m.error = "wasm";
    }
    if (m.tablePainted && m.ready && m.wasm) observer.disconnect();
  };
  const observer = new MutationObserver(check);
  observer.observe(document, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["data-forgefit-ready", "data-forgefit-wasm", "data-forgefit-wasm-error"],
  });

  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const t = abs(e.renderTime || e.startTime);
      if (e.identifier === "forgefit-bench-table" && (!m.tablePainted || t < m.tablePainted)) m.tablePainted = t;
    }
  }).observe({ type: "element", buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === "first-contentful-paint") m.fcp = abs(e.startTime);
  }).observe({ type: "paint", buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.name === "forgefit:takeover" && !m.takeoverMark) m.takeoverMark = abs(e.startTime);
      if (e.name === "forgefit:go-yielded" && !m.wasmStarted) m.wasmStarted = abs(e.startTime);
    }
  }).observe({ type: "mark", buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.hadRecentInput) continue;
      m.shifts.push([abs(e.startTime), e.value]);
      // For BENCH_DEBUG, as in host.js: what each shift moved.
      const what = (s) => (s.node ? s.node.nodeName + (s.node.id ? "#" + s.node.id : "") + "." + (s.node.textContent || "").trim().slice(0, 12).replace(/\s/g, "_") : "?") +
        JSON.stringify([s.previousRect.y, s.previousRect.height, s.currentRect.y, s.currentRect.height].map(Math.round));
      m.shiftSources.push([Math.round(e.startTime), +e.value.toFixed(3), ...e.sources.map(what)]);
    }
  }).observe({ type: "layout-shift", buffered: true });
})();
