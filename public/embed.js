/* embed.js is the Forge Fit loader: the only code of ours that runs on a
   partner's page. So it is small (served minified; at most 1,200 bytes
   gzipped, which server/loader_test.go checks), injects no inline script
   or style (strict CSPs allow what it does), never evals, and never posts
   events to the server: the widget, on our own origin, does that.

   It turns each placeholder <div data-forgefit-widget=… data-forgefit-partner=…>
   (at start, on ForgeFit.scan() and when one is added to the page) into an
   iframe of GET /w/{widget}, sizes the iframe to the widget's content,
   tells the widget the host page's consent and single-page-app route, and
   re-emits what the widget reports as bubbling `forgefit:*` CustomEvents on
   the placeholder, and with data-forgefit-datalayer on window.dataLayer.

   Message protocol between the widget iframe and this loader (public/frame.js
   is the widget's side; widget/event declares the same in Go). Every message
   is an object {source: "forgefit", v: 1, type: …, …fields}:
     widget → loader  height {height}, ready {}, view {}, answer {question,
                      option, index}, result {outcome, margin}, cta {cta,
                      outcome}, error {code, message}; posted to
                      targetOrigin = the host page's origin (the `origin`
                      query parameter, which the server checked against the
                      partner's registered origins);
     loader → widget  consent {granted: bool}, route {path}; posted to
                      targetOrigin = our server's origin.
   A message is taken only when event.source is that placeholder's iframe
   window and event.origin is our origin (the origin of this script's src).

   Choices the 1,200-byte budget made (README's "Embedding" documents them):
   - lazy loading is the browser's (loading="lazy": it loads an iframe
     roughly a viewport before it is seen), not an IntersectionObserver;
   - until the widget reports its height, the iframe takes the room the
     partner's stylesheet reserved on the placeholder (README's snippet: a
     min-height), so inserting it moves nothing; 400px when none was;
   - the ready clock (10 s, or data-forgefit-timeout in ms) starts when the
     widget page has loaded, so an unseen lazy widget never times out; a
     widget not ready by then is taken out and its fallback content comes
     back (the fallback is replaced as soon as the iframe goes in);
   - calls queued before this script arrives (window.ForgeFit is an array
     until then) are [name, ...args] arrays or functions;
   - a placeholder removed from the page should be unmounted by the app
     that removes it (ForgeFit.unmount), or its listener stays. */
(function (w, d, loc) {
  var queued = w.ForgeFit || [];
  if (queued.scan) return; // the snippet was pasted twice

  var A = "data-forgefit-",
    SELECTOR = "[" + A + "widget]",
    ORIGIN = new URL(d.currentScript.src).origin,
    widgets = new Map(), // placeholder → its widget: (1) tells it the host's state, () stops it
    consent, // undefined until the host page calls ForgeFit.consent
    // mount takes a placeholder, never twice: its fallback content gives
    // way to the widget's iframe.
    mount = (el) => {
      if (!el.matches?.(SELECTOR) || widgets.has(el)) return; // a text node has no matches
      var set = {}, // the placeholder's data-forgefit-* settings
        frame = d.createElement("iframe"),
        kept = [...el.childNodes],
        timer,
        ready,
        k,
        v,
        // emit re-emits a widget's message as a host event. Its fields are
        // the protocol's: ids and numbers, never visitor data.
        emit = ({ source, v, type, ...detail }) => {
          detail = { widget: set.widget, partner: set.partner, ...detail };
          el.dispatchEvent(new CustomEvent("forgefit:" + type, { bubbles: true, detail: detail }));
          if ("datalayer" in set) (w.dataLayer ||= []).push({ event: "forgefit:" + type, forgefit: detail });
        },
        // tell sends the widget the host page's state. It ignores what did
        // not change, and an undecided consent (no boolean).
        tell = () =>
          [
            { source: "forgefit", v: 1, type: "consent", granted: consent },
            { source: "forgefit", v: 1, type: "route", path: loc.pathname },
          ].forEach((m) => frame.contentWindow?.postMessage(m, ORIGIN)), // none once the page removed the placeholder
        receive = (e) => {
          var m = e.data || 0,
            t = m.type;
          // Not the widget's, or a height before ready: host events begin with ready.
          if (
            e.source != frame.contentWindow ||
            e.origin != ORIGIN ||
            m.source != "forgefit" ||
            m.v != 1 ||
            (t == "height" && ((frame.style.height = m.height + "px"), !ready))
          )
            return;
          // The widget surely listens now: tell it what it missed while loading.
          t == "ready" && (clearTimeout(timer), tell((ready = 1)));
          (t == "error" ? fail : emit)(m);
        },
        // fail warns and reports forgefit:error. A widget that never became
        // ready is taken out and the placeholder gets its fallback back.
        fail = (m) => {
          console.warn(`Forge Fit: ${m.code}. Check partner ${set.partner} lists ${loc.origin}, and the network`);
          ready || unmount(el);
          emit(m);
        };

      for (k of el.attributes) k.name.indexOf(A) || (set[k.name.slice(14)] = k.value);
      // The placeholder's settings and the page's utm_* go as they are: the
      // widget page keeps what it knows, validated, and drops the rest.
      var q = new URLSearchParams({ ...set, origin: loc.origin, path: loc.pathname });
      for ([k, v] of new URLSearchParams(loc.search)) /^utm_/.test(k) && q.set(k, v);
      consent && q.set("consent", "granted");
      frame.src = ORIGIN + "/w/" + encodeURIComponent(set.widget) + "?" + q;
      // The CSSOM, not a style attribute: strict CSPs allow it. Block, or
      // the line it would sit on adds a few pixels below it. Its height is
      // 0 only until it is in the placeholder: see below.
      frame.style.cssText = "height:0;display:block;width:100%;border:0";
      frame.title = "Forge Fit";
      frame.allow = "clipboard-write";
      // Lazy: the browser loads it about a viewport before it is seen.
      set.lazy != "false" && (frame.loading = "lazy");
      // The clock starts when the widget page has loaded (its preloaded wasm
      // with it), so a lazy widget far down the page is not failed for being
      // unseen; and only before ready, should the page load again.
      frame.onload = () => ready || (timer = setTimeout(fail, +set.timeout || 1e4, { type: "error", code: "timeout" }));
      el.replaceChildren(frame);
      // Until the widget reports its height, the iframe takes the room the
      // partner's stylesheet reserved: the placeholder's height with only a
      // 0px iframe in it, so its fallback content does not count (read in
      // this task, before the browser paints). Inserting it moves nothing.
      // Without a reservation, 400px.
      frame.style.height = (el.clientHeight || 400) + "px";
      w.addEventListener("message", receive);
      // The host page changed (relay), or the widget stops (unmount).
      widgets.set(el, (changed) =>
        changed ? tell() : (clearTimeout(timer), w.removeEventListener("message", receive), el.replaceChildren(...kept))
      );
    },
    // unmount removes the placeholder's iframe and every listener it had.
    unmount = (el) => {
      widgets.get(el)?.();
      widgets.delete(el);
    },
    // scan takes root, if it is a placeholder, and those inside it.
    scan = (root = d) => (mount(root), root.querySelectorAll?.(SELECTOR).forEach(mount)),
    // relay tells every widget the host page's state: single-page apps
    // change route through the history API.
    relay = () => widgets.forEach((widget) => widget(1)),
    api = {
      mount: mount,
      unmount: unmount,
      scan: scan,
      consent: (granted) => relay((consent = !!granted)),
      push: (c) => (c.call ? c() : api[c.shift()](...c)),
    };

  // The call first, then relay (which ignores what it is given).
  ["pushState", "replaceState"].forEach((k) => {
    var original = history[k];
    history[k] = (...args) => relay(original.apply(history, args));
  });
  w.addEventListener("popstate", relay);
  w.ForgeFit = api; // first: a queued function may call ForgeFit.mount
  queued.forEach(api.push);
  scan();
  // Placeholders added later are taken.
  new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(scan))).observe(d, {
    childList: true,
    subtree: true,
  });
})(window, document, location);
