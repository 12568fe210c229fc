// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Video blocks: load the player only when the learner asks for it (it is heavy on a weak connection).
  document.querySelectorAll("[data-video]").forEach(function (figure) {
    var template = figure.querySelector("template[data-video-embed]");
    var button = figure.querySelector("[data-video-play]");
    var link = figure.querySelector(".block-video__open");
    if (!template || !button || !template.innerHTML.trim()) return;
    button.hidden = false;
    if (link) link.hidden = true;
    button.addEventListener("click", function () {
      var frame = button.parentNode;
      frame.classList.add("is-playing");
      frame.replaceChildren(template.content.cloneNode(true));
      var player = frame.querySelector("iframe");
      if (player) player.focus();
    });
  });
})();

// Buttons that store something (a lesson marked done, a quiz started or submitted) and carry data-busy-label.
// The form posts with fetch so that a slow request shows on the button and a failed one in the page; on success
// the browser opens the page the form's redirect leads to, so the server renders what the learner sees, as without
// this script. Words come from the button's data-busy-label and data-failed-message: this file holds none.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData || !window.AbortController || !window.URL) return;
  var TIMEOUT_MS = 20000;
  var enhanced = [];

  function enhance(button) {
    var form = button.form;
    var isEnhanced = enhanced.some(function (state) {
      return state.form === form;
    });
    if (!form || form.method !== "post" || isEnhanced) return;
    var label = button.textContent;
    var state = { form: form, busy: false, reset: reset };
    var alert = null;
    enhanced.push(state);

    function setBusy() {
      state.busy = true;
      if (alert) alert.remove();
      alert = null;
      // The button keeps its size, so nothing moves under the learner's finger.
      var box = button.getBoundingClientRect();
      button.style.minWidth = box.width + "px";
      button.style.minHeight = box.height + "px";
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = button.getAttribute("data-busy-label");
    }

    function reset() {
      state.busy = false;
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = label;
      button.style.minWidth = "";
      button.style.minHeight = "";
    }

    function fail(error) {
      // The server answered with an error: say so. No answer at all (no connection, or none within the time):
      // a page that can keep the action on this device until the connection is back (offline.js) takes it.
      if (error && error.answered) return showFailure();
      var failed = new CustomEvent("action:failed", { cancelable: true, detail: { handled: null } });
      if (!form.dispatchEvent(failed) && failed.detail.handled) {
        failed.detail.handled.then(function (kept) {
          if (kept) reset();
          else showFailure();
        });
        return;
      }
      showFailure();
    }

    function showFailure() {
      reset();
      // A new element each time, so that a screen reader announces the message again after each failure.
      alert = document.createElement("p");
      alert.className = "action-error";
      alert.setAttribute("role", "alert");
      alert.textContent = button.getAttribute("data-failed-message");
      button.insertAdjacentElement("afterend", alert);
      alert.scrollIntoView({ block: "nearest" });
    }

    // Asked for JSON, the endpoints answer with the address the plain form's redirect leads to (the server has
    // put its message on that page): open it. Any other answer (a 404 page, a refusal without an address) is
    // left to the plain form, which these idempotent endpoints handle the same way when posted again.
    function answer(response) {
      if (response.status >= 500) throw Object.assign(new Error(response.statusText), { answered: true });
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) return form.submit();
      return response.json().then(function (data) {
        if (data.redirect_url) open(data.redirect_url);
        else form.submit();
      });
    }

    // The server's page is this very page again (a quiz just started, a refusal): only a reload shows it, since
    // opening an address that differs from this one by its #fragment alone does not load anything.
    function open(url) {
      var target = new URL(url, location.href);
      if (target.origin + target.pathname + target.search === location.origin + location.pathname + location.search) {
        history.replaceState(null, "", target.href);
        location.reload();
      } else {
        location.assign(target.href);
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (state.busy) return;
      setBusy();
      var controller = new AbortController();
      var timer = setTimeout(function () {
        controller.abort();
      }, TIMEOUT_MS);
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      })
        .then(answer)
        .catch(fail)
        .finally(function () {
          clearTimeout(timer);
        });
    });
  }

  document.querySelectorAll("form button[data-busy-label]").forEach(enhance);

  // Back to this page from the next one: the browser may restore it as it was left, with a busy button.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    enhanced.forEach(function (state) {
      if (state.busy) state.reset();
    });
  });
})();
