// host.js runs first in the bench's partner page. It records the page's
// navigation start (its time origin), the loader's forgefit:ready host
// event, and every layout shift on the page not caused by input; and when
// the iframe's load event reaches this page, which the bench compares with
// the iframe's own clock to check the two documents' clocks agree.
(() => {
  const m = { navStart: performance.timeOrigin, ready: 0, shifts: [], iframeLoad: 0 };
  window.__forgefitBench = m;
  document.addEventListener("load", (e) => {
    if (e.target.tagName === "IFRAME" && !m.iframeLoad) m.iframeLoad = performance.timeOrigin + performance.now();
  }, true);
  document.addEventListener("forgefit:ready", () => {
    if (!m.ready) m.ready = performance.timeOrigin + performance.now();
  }, true);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) m.shifts.push(e.value);
  }).observe({ type: "layout-shift", buffered: true });
})();
