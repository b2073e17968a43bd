// host.js runs first in the bench's partner page. It records the page's
// navigation start (its time origin), the loader's forgefit:ready host
// event, and every layout shift on the page not caused by input.
(() => {
  const m = { navStart: performance.timeOrigin, ready: 0, shifts: [] };
  window.__forgefitBench = m;
  document.addEventListener("forgefit:ready", () => {
    if (!m.ready) m.ready = performance.timeOrigin + performance.now();
  }, true);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) m.shifts.push(e.value);
  }).observe({ type: "layout-shift", buffered: true });
})();
