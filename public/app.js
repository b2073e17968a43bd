// app.js starts the widget's wasm. It replaces go-app's own app.js, which
// registers a service worker (in a partner's iframe that caches a copy of the
// wasm per partner site) and wraps the download in a new Response, which
// defeats the browser's cache of compiled wasm. Here the wasm comes from an
// immutable, content-hashed URL straight into instantiateStreaming.
"use strict";
(() => {
  const meta = document.querySelector('meta[name="forgefit-wasm"]');
  if (!meta || !WebAssembly.instantiateStreaming) {
    return; // the prerendered page stays, fully readable
  }
  const env = {
    GOAPP_VERSION: meta.dataset.version || "",
    GOAPP_STATIC_RESOURCES_URL: "/web",
    GOAPP_ROOT_PREFIX: "",
    GOAPP_INTERNAL_URLS: "null",
  };
  window.goappGetenv = (k) => env[k];

  // User Timing marks split the start in a trace or the bench's
  // BENCH_DEBUG timeline: wasm fetched and compiled, then Go's runtime
  // start, go-app's first render and OnMount, which run synchronously in
  // go.run until the client first waits (data-forgefit-ready follows).
  const mark = (name) => performance.mark("forgefit:" + name);
  mark("app-js");
  const go = new Go();
  WebAssembly.instantiateStreaming(fetch(meta.content), go.importObject)
    .then((wasm) => {
      mark("wasm-instantiated");
      const exited = go.run(wasm.instance);
      mark("go-yielded");
      return exited;
    })
    .catch((err) => {
      // The widget works on without its wasm (its native forms): nothing to
      // tell the loader, which heard "ready" from frame.js already.
      document.documentElement.setAttribute("data-forgefit-wasm-error", "true");
      console.error("forgefit: the widget's client could not start; the widget works on without it:", err);
    });
})();
