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

// "Mark as done" without a page reload; the form posts normally when this script is absent.
(function () {
  "use strict";
  document.querySelectorAll("[data-complete-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok) throw new Error(data.error || response.statusText);
            return data;
          });
        })
        .then(function (data) {
          var box = form.closest("[data-lesson-done]");
          var done = box.querySelector("[data-done-message]");
          form.remove();
          done.hidden = false;
          document.querySelectorAll("[data-progress]").forEach(function (bar) {
            bar.querySelector("progress").value = data.percent;
            bar.querySelector("[data-progress-percent]").textContent = data.percent + "%";
          });
          var item = document.querySelector('.course-nav__item[aria-current], .course-nav__item [aria-current="page"]');
          if (item) item.closest(".course-nav__item").classList.add("is-done");
        })
        .catch(function () {
          form.submit();
        });
    });
  });
})();
