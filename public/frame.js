// frame.js is the widget page's side of the protocol with the loader on the
// partner's page (public/embed.js describes the messages). It runs before,
// and without, the wasm, as soon as the prerendered page is parsed: that
// page works on its own (every step is a native form posted to the server),
// so it tells the loader at once that the widget is ready, and reports the
// page's height so the loader sizes the iframe once, early. It keeps the
// host page's state for the widget (and the forms' consent field), moves
// the focus to the step a form post landed on, and gives the wasm one
// function to post with:
//
//   window.forgefitPost(type, detail) posts {source: "forgefit", v: 1,
//     type, ...detail} to the host page; false when there is none to post
//     to (the page is not framed by a registered origin);
//   window.forgefitHost is {consent: bool, path: string}: whether the host
//     page lets us record (false while it has not consented, when it asked
//     for consent) and the host page's path; a "forgefit:host" event on
//     window, with the same in its detail, says it changed.
"use strict";
(() => {
  const params = new URLSearchParams(location.search);
  // The host page's origin: the server served this page only because the
  // origin parameter is one of the partner's registered origins.
  let hostOrigin = "";
  try {
    hostOrigin = new URL(params.get("origin")).origin;
  } catch {}
  const host = window.parent !== window && hostOrigin !== "" && hostOrigin !== "null" ? window.parent : null;

  const state = {
    consent: params.get("consent") !== "required",
    path: validPath(params.get("path")) ? params.get("path") : "/",
  };
  window.forgefitHost = state;

  const post = (type, detail) => {
    if (!host) {
      return false;
    }
    host.postMessage({ ...detail, source: "forgefit", v: 1, type }, hostOrigin);
    return true;
  };
  window.forgefitPost = post;

  // The host page's state, from the loader only: its window, its origin.
  addEventListener("message", (e) => {
    const m = e.data;
    if (!host || e.source !== host || e.origin !== hostOrigin || !m || m.source !== "forgefit" || m.v !== 1) {
      return;
    }
    let changed = false;
    if (m.type === "consent" && typeof m.granted === "boolean" && m.granted !== state.consent) {
      state.consent = m.granted;
      changed = true;
    } else if (m.type === "route" && validPath(m.path) && m.path !== state.path) {
      state.path = m.path;
      changed = true;
    }
    if (changed) {
      consentToForms();
      dispatchEvent(new CustomEvent("forgefit:host", { detail: { ...state } }));
    }
  });

  // A form post records only what the host page lets us record: the
  // server reads this field, as the wasm reads forgefitHost.
  function consentToForms() {
    for (const f of document.querySelectorAll("input[name=consent]")) {
      f.value = state.consent ? "granted" : "denied";
    }
  }
  consentToForms();

  // The height of the document's content, not of the viewport (which is
  // the iframe, sized from this very number): so the iframe's own height
  // never feeds back into what is reported.
  let height = 0;
  const root = document.documentElement;
  new ResizeObserver(() => {
    const h = Math.ceil(root.getBoundingClientRect().height);
    if (h > 0 && h !== height) {
      height = h;
      post("height", { height: h });
    }
  }).observe(root);

  // The visitor can answer from now on: natively, and through the wasm
  // once it has taken over (it sets data-forgefit-wasm). Unless this is the
  // server's page saying why the widget cannot start (an origin the
  // partner has not registered, say): the loader hears it at once, rather
  // than when its timeout runs out, and shows the visitor the fallback link.
  // A page a native post landed on (its URL names where, see below) is the
  // same widget, ready already: the loader hears "ready" once a visit.
  const landed = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
  const failed = root.dataset.forgefitError;
  if (failed) {
    const alert = document.querySelector("[role=alert]");
    post("error", { code: failed, message: alert ? alert.textContent : "" });
  } else {
    root.dataset.forgefitReady = "true";
    if (!landed) {
      post("ready", {});
    }
    reportStart();
  }

  // One tap a question. An option chosen with a pointer (a tap, a click)
  // moves on at once, as Next would; so does a digit key (1 chooses the
  // first option, and so on), a deliberate answer in one press. Arrow keys
  // and Space only choose, so keyboard users who walk the options are never
  // moved on by surprise: they press Enter or Next. Both paths submit the
  // form, which the server takes natively or the wasm handles in place.
  let tapped = 0;
  const moveOn = (radio) => {
    const next = radio.form && radio.form.querySelector("button[value=next]");
    if (next) {
      radio.form.requestSubmit(next);
    }
  };
  addEventListener("pointerdown", () => (tapped = Date.now()), true);
  addEventListener("change", (e) => {
    if (e.target.name === "option" && Date.now() - tapped < 1000) {
      moveOn(e.target);
    }
  }, true);
  addEventListener("keydown", (e) => {
    tapped = 0; // what a key changes was not tapped
    const form = e.target.closest && e.target.closest("form.ff-step");
    if (!form || e.altKey || e.ctrlKey || e.metaKey || !/^[1-9]$/.test(e.key)) {
      return;
    }
    const option = form.querySelectorAll("input[name=option]")[e.key - 1];
    if (option) {
      e.preventDefault();
      option.checked = true;
      moveOn(option);
    }
  }, true);

  // A link to a part of the page (the result's to the worksheet) opens the
  // fold the part is in and moves the focus there, in place: a fragment
  // alone would leave the fold closed, and go-app would push a history
  // entry the partner's Back button would then undo first.
  addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest('a[href^="#"]');
    const part = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!part) {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
    const fold = part.closest("details");
    if (fold) {
      fold.open = true;
    }
    part.focus();
  }, true);

  // A step posted natively comes back as a new page whose fragment names
  // where the visitor is (the next question, the result, the worksheet's
  // status): put the focus there, as the wasm does when it changes steps.
  if (landed) {
    landed.focus();
  }

  // Without the wasm, tell the loader what each native step did, as the
  // wasm does in place (then it has set data-forgefit-wasm): the answer
  // when a question is posted, the result when a post lands on it, the
  // call to action when it is followed. The page's data islands say which
  // question and result: the content, and the visit it was served at.
  const island = (id) => {
    try {
      return JSON.parse(document.getElementById(id).textContent);
    } catch {
      return null;
    }
  };
  const widget = island("forgefit-content");
  const visit = island("forgefit-visit");
  const native = () => widget && visit && root.dataset.forgefitWasm !== "true";
  addEventListener("submit", (e) => {
    const form = e.target;
    const step = visit && (visit.step || 0);
    if (!native() || form.id !== "ff-quiz" || !e.submitter || e.submitter.value !== "next") {
      return;
    }
    const question = widget.fit.questions[step];
    const option = form.elements.option && form.elements.option.value;
    if (question && option) {
      post("answer", { question: question.id, option, index: step });
    }
  });
  if (landed && landed.id === "ff-result-heading" && native() && visit.outcome) {
    post("result", { outcome: visit.outcome, margin: visit.margin });
  }
  addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest(".ff-cta a");
    if (link && native()) {
      post("cta", { cta: widget.cta.id, outcome: visit.outcome || "" });
    }
  });

  // The URL names the visit. A first page's view id goes into it, so that
  // going back to the page renders the same view and a form submitted
  // again stores nothing twice; and the fragment goes once the focus is
  // there, or go-app would scroll the partner's page to it at takeover.
  const view = document.querySelector("input[name=v]");
  const url = new URL(location.href);
  if (view && view.value && !url.searchParams.has("v")) {
    url.searchParams.set("v", view.value);
  }
  url.hash = "";
  if (url.href !== location.href) {
    history.replaceState(history.state, "", url);
  }

  // The start report: once a widget, from its first page on a host page
  // (later pages of the same visit carry its view id, v), the page tells
  // the server it started, with its own times since navigation: table
  // painted (first contentful paint), interactive (now: the forms work),
  // and the client's takeover (app.js's wasm marks forgefit:takeover). It
  // goes when the client has taken over, or failed (app.js marks the
  // document), or has not in 30 s ("timeout"), or when the visitor leaves
  // first. Nothing about the visitor goes with it, and nothing goes
  // without consent when the host page asks for it, nor from test mode or
  // an automated browser (as with events). The server only counts it.
  function reportStart() {
    if (!host || params.has("v") || params.has("test") || navigator.webdriver || !navigator.sendBeacon) {
      return;
    }
    const interactive = Math.round(performance.now());
    let due = false; // it would have gone, but for consent
    let sent = false;
    let error = "";
    const send = (code) => {
      error = error || code || "";
      due = true;
      if (sent || !state.consent) {
        return; // consent may come later: forgefit:host sends it then
      }
      sent = true;
      const at = (name) => performance.getEntriesByName(name)[0];
      const body = new URLSearchParams({
        partner: params.get("partner") || "",
        origin: hostOrigin,
        path: validPath(params.get("path")) ? params.get("path") : "",
        interactive,
        // The server's token for this page (its start reports need it).
        token: document.querySelector("meta[name=forgefit-start]")?.content || "",
      });
      const painted = at("first-contentful-paint");
      const takeover = at("forgefit:takeover");
      painted && body.set("painted", Math.round(painted.startTime));
      takeover && body.set("takeover", Math.round(takeover.startTime));
      error && body.set("error", error);
      navigator.sendBeacon(location.pathname + "/started", body);
    };
    const timer = setTimeout(send, 30000, "timeout");
    const settled = () => {
      if (root.dataset.forgefitWasm === "true" || root.hasAttribute("data-forgefit-wasm-error")) {
        clearTimeout(timer);
        send(root.dataset.forgefitWasm === "true" ? "" : "wasm");
      }
    };
    new MutationObserver(settled).observe(root, { attributes: true, attributeFilter: ["data-forgefit-wasm", "data-forgefit-wasm-error"] });
    settled();
    addEventListener("pagehide", () => send());
    addEventListener("forgefit:host", () => due && send());
  }

  // validPath accepts what the server accepts as a host page path.
  function validPath(p) {
    return typeof p === "string" && p.length > 0 && p.length <= 512 && p[0] === "/" && !/[?#\\\x00-\x1f\x7f]/.test(p);
  }
})();
