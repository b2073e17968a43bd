// host.js runs first in the bench's partner page. It records the page's
// navigation start (its time origin), the loader's forgefit:ready host
// event, and every layout shift on the page not caused by input; and when
// the iframe's load event reaches this page, which the bench compares with
// the iframe's own clock to check the two documents' clocks agree.
(() => {
  const m = { navStart: performance.timeOrigin, ready: 0, shifts: [], iframeLoad: 0 };
  window.__forgefitBench = m;
  // For BENCH_DEBUG: each height the widget reported ([ms, px]) and
  // what each layout shift moved ([ms, score, "NODE.text[y, h, y', h']"...]).
  m.heights = [];
  m.shiftSources = [];
  addEventListener("message", (e) => {
    if (e.data && e.data.source === "forgefit" && e.data.type === "height") m.heights.push([Math.round(performance.now()), e.data.height]);
  });
  document.addEventListener("load", (e) => {
    if (e.target.tagName === "IFRAME" && !m.iframeLoad) m.iframeLoad = performance.timeOrigin + performance.now();
  }, true);
  document.addEventListener("forgefit:ready", () => {
    if (!m.ready) m.ready = performance.timeOrigin + performance.now();
  }, true);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.hadRecentInput) continue;
      m.shifts.push(e.value);
      const what = (s) => (s.node ? s.node.nodeName + "." + (s.node.textContent || "").trim().slice(0, 12).replace(/\s/g, "_") : "?") +
        JSON.stringify([s.previousRect.y, s.previousRect.height, s.currentRect.y, s.currentRect.height].map(Math.round));
      m.shiftSources.push([Math.round(e.startTime), +e.value.toFixed(3), ...e.sources.map(what)]);
    }
  }).observe({ type: "layout-shift", buffered: true });
})();
