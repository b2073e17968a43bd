// frame.js is injected by the bench into the widget's iframe (and the
// reference page's) before the page's own scripts run. It records, as
// absolute times (performance.timeOrigin + a time in this document), when
// the comparison table was first painted and when the go-app client
// mounted. Absolute times because the iframe is another document, with
// another time origin, than the partner page the figures are measured
// from: the bench subtracts the partner page's performance.timeOrigin.
// Both origins come from the same machine's clock, read by two processes.
(() => {
  if (window === top) return;
  const abs = (t) => performance.timeOrigin + t;
  const m = { navStart: performance.timeOrigin, tableInDOM: 0, tablePainted: 0, fcp: 0, ready: 0, loadEnd: 0 };
  window.__forgefitBench = m;
  addEventListener("load", () => setTimeout(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    if (nav) m.loadEnd = abs(nav.loadEventEnd);
  }));

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
    const table = document.querySelector("table");
    if (table) {
      if (!m.tableInDOM) m.tableInDOM = abs(performance.now());
      if (!m.tablePainted) tagCells(table);
    }
    const root = document.documentElement;
    if (!m.ready && root && root.getAttribute("data-forgefit-ready") === "true") {
      m.ready = abs(performance.now());
    }
    if (m.tablePainted && m.ready) observer.disconnect();
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-forgefit-ready"] });

  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const t = abs(e.renderTime || e.startTime);
      if (e.identifier === "forgefit-bench-table" && (!m.tablePainted || t < m.tablePainted)) m.tablePainted = t;
    }
  }).observe({ type: "element", buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === "first-contentful-paint") m.fcp = abs(e.startTime);
  }).observe({ type: "paint", buffered: true });
})();
