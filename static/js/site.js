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
