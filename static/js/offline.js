// Learning without a connection: registers the service worker, keeps a lesson marked done offline in the outbox
// (outbox.js) and sends it when the connection is back, saves a whole module on request, and lists on the offline
// page what this device holds. Words come from data-* attributes of the templates: this file holds none.
(function () {
  "use strict";
  const Outbox = window.Outbox;
  if (!Outbox || !window.caches || !window.DOMParser) return;

  const body = document.body;
  const workerUrl = body.dataset.serviceWorker;
  const outboxUrl = body.dataset.outbox;
  // Pages of the site say who is signed in ("" for nobody); the offline page, kept for everyone, does not.
  const knowsLearner = "learner" in body.dataset;
  const learner = Number(body.dataset.learner) || null;
  const status = document.querySelector("[data-outbox-status]");
  const PAGES_CACHE = "pages";
  const lang = document.documentElement.lang || "ru";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  }

  function formatSize(bytes) {
    const megabytes = bytes >= 1024 * 1024;
    const format = new Intl.NumberFormat(lang, {
      style: "unit",
      unit: megabytes ? "megabyte" : "kilobyte",
      maximumFractionDigits: 1,
    });
    return format.format(megabytes ? bytes / (1024 * 1024) : Math.max(1, Math.round(bytes / 1024)));
  }

  const isUserCache = (name) => name === PAGES_CACHE || name.startsWith("module-");

  async function forgetKeptPages() {
    const names = await caches.keys();
    await Promise.all(names.filter(isUserCache).map((name) => caches.delete(name)));
  }

  // Kept pages carry the learner's name and progress: when someone else signs in on this device (or nobody is
  // signed in), they go. The outbox stays: its actions are sent only in their own learner's session.
  async function checkLearner() {
    if (!knowsLearner) return;
    const previous = await Outbox.getMeta("learner");
    if (previous !== learner) {
      await forgetKeptPages();
      await Outbox.setMeta("learner", learner);
    }
  }

  // --- The status line: actions waiting, sent, refused -------------------------------------------------------

  function say(lines) {
    if (!status) return;
    const list = status.querySelector("[data-outbox-lines]");
    list.replaceChildren(
      ...lines.map(([kind, text]) => {
        const line = document.createElement("li");
        line.className = "outbox__line outbox__line--" + kind;
        line.textContent = text;
        return line;
      }),
    );
    status.hidden = lines.length === 0;
  }

  let reported = [];

  async function showStatus() {
    if (!status || !learner) return;
    const waiting = (await Outbox.waiting(learner)).length;
    const lines = waiting ? [["waiting", fill(status.dataset.waiting, { count: waiting })]] : [];
    say(lines.concat(reported));
  }

  // Lessons on this page that were just sent show as done.
  function showSent(result) {
    const sentLessons = new Set(result.sent.map((item) => String(item.lesson)));
    document.querySelectorAll("p[data-outbox-lesson]").forEach((element) => {
      if (!sentLessons.has(element.dataset.outboxLesson)) return;
      const badge = element.querySelector(".state");
      badge.className = "state state--done";
      badge.textContent = element.dataset.doneMessage;
    });
  }

  function report(result) {
    if (result.learner !== learner) return;
    showSent(result);
    if (!status) return;
    if (result.sent.length) reported.push(["sent", fill(status.dataset.sent, { count: result.sent.length })]);
    result.refused.forEach((item) => {
      reported.push(["refused", fill(status.dataset.refused, { title: item.title, reason: item.message || "" })]);
    });
  }

  // --- Lessons marked done without a connection --------------------------------------------------------------

  function showState(form, text, kind) {
    const state = document.createElement("p");
    state.className = "lesson-done__state";
    const badge = document.createElement("span");
    badge.className = "state state--" + kind;
    badge.textContent = text;
    state.append(badge);
    state.dataset.outboxLesson = form.dataset.outboxLesson;
    state.dataset.doneMessage = form.dataset.doneMessage;
    form.replaceWith(state);
    return state;
  }

  async function keepLesson(form) {
    await Outbox.add({
      type: "lesson_complete",
      lesson: Number(form.dataset.outboxLesson),
      learner: learner,
      title: form.dataset.outboxTitle,
      url: location.pathname,
    });
    showState(form, form.dataset.savedMessage, "waiting");
    await showStatus();
    // Where the browser has Background Sync, it sends the outbox once online even if this page is closed.
    const registration = navigator.serviceWorker && (await navigator.serviceWorker.getRegistration());
    if (registration && registration.sync) registration.sync.register("outbox").catch(() => null);
  }

  function watchLessonForms() {
    document.querySelectorAll("form[data-outbox-lesson]").forEach((form) => {
      // site.js posts the form; when the request fails it offers the form here before saying it failed.
      form.addEventListener("action:failed", (event) => {
        if (!learner) return;
        event.preventDefault();
        event.detail.handled = keepLesson(form).then(
          () => true,
          () => false,
        );
      });
    });
  }

  async function showKeptLessons() {
    if (!learner) return;
    const waiting = new Set((await Outbox.waiting(learner)).map((item) => String(item.lesson)));
    document.querySelectorAll("form[data-outbox-lesson]").forEach((form) => {
      if (waiting.has(form.dataset.outboxLesson)) showState(form, form.dataset.savedMessage, "waiting");
    });
  }

  let sending = false;

  async function send() {
    if (!learner || !outboxUrl || sending || !navigator.onLine) return;
    if (!(await Outbox.waiting(learner)).length) return;
    sending = true;
    try {
      const result = await Outbox.send(outboxUrl);
      report(result);
    } catch (error) {
      // Still no connection, or the server did not answer: everything stays in the outbox for the next try.
    } finally {
      sending = false;
      await showStatus();
    }
  }

  async function showNotices() {
    for (const notice of await Outbox.takeNotices()) report(notice);
    await showStatus();
  }

  // --- Keeping pages: the next lessons, and whole modules on request ------------------------------------------

  function assetsOf(html, base) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const urls = new Set();
    doc.querySelectorAll("img[src]").forEach((img) => urls.add(new URL(img.getAttribute("src"), base).href));
    doc.querySelectorAll("img[srcset], source[srcset]").forEach((element) => {
      element
        .getAttribute("srcset")
        .split(",")
        .forEach((candidate) => {
          const url = candidate.trim().split(/\s+/)[0];
          if (url) urls.add(new URL(url, base).href);
        });
    });
    return [...urls].filter((url) => new URL(url).origin === location.origin);
  }

  // Fetch a page and its pictures into `cache`; the number of bytes kept.
  async function keepPage(cache, url) {
    const response = await fetch(url, { credentials: "same-origin" });
    // A login page or an error is not the page asked for.
    if (!response.ok || response.redirected) throw new Error("not kept: " + url);
    const html = await response.clone().text();
    await cache.put(url, response);
    let size = new Blob([html]).size;
    for (const asset of assetsOf(html, response.url)) {
      const kept = await caches.match(asset);
      if (kept) {
        await cache.put(asset, kept.clone());
        size += (await kept.blob()).size;
        continue;
      }
      const picture = await fetch(asset, { credentials: "same-origin" });
      if (!picture.ok) continue;
      size += (await picture.clone().blob()).size;
      await cache.put(asset, picture);
    }
    return size;
  }

  async function keepNextLessons() {
    const holder = document.querySelector("[data-offline-next]");
    if (!holder || !learner || !navigator.onLine || !navigator.serviceWorker.controller) return;
    const cache = await caches.open(PAGES_CACHE);
    for (const url of holder.dataset.offlineNext.split(" ").filter(Boolean)) {
      if (await caches.match(url)) continue;
      await keepPage(cache, new URL(url, location.href).href).catch(() => null);
    }
  }

  function setUpModuleSaving(section) {
    const moduleId = section.dataset.offlineModule;
    const cacheName = "module-" + moduleId;
    const metaKey = "module-" + moduleId;
    const state = section.querySelector("[data-offline-state]");
    const saveButton = section.querySelector("[data-offline-save]");
    const removeButton = section.querySelector("[data-offline-remove]");
    const urls = section.dataset.offlineUrls.split(" ").filter(Boolean);

    function show(text, saved) {
      state.textContent = text;
      saveButton.hidden = saved;
      removeButton.hidden = !saved;
    }

    async function showSaved() {
      const saved = await Outbox.getMeta(metaKey);
      if (saved && (await caches.has(cacheName))) show(fill(section.dataset.saved, { size: formatSize(saved.size) }), true);
      else show(section.dataset.notSaved, false);
    }

    saveButton.addEventListener("click", async () => {
      saveButton.disabled = true;
      try {
        await caches.delete(cacheName);
        const cache = await caches.open(cacheName);
        let size = 0;
        for (const [index, url] of urls.entries()) {
          show(fill(section.dataset.saving, { done: index, total: urls.length }), false);
          size += await keepPage(cache, new URL(url, location.href).href);
        }
        await Outbox.setMeta(metaKey, { size, title: section.dataset.offlineTitle, urls, savedAt: Date.now() });
        await showSaved();
      } catch (error) {
        await caches.delete(cacheName);
        show(section.dataset.failed, false);
      } finally {
        saveButton.disabled = false;
      }
    });

    removeButton.addEventListener("click", async () => {
      await caches.delete(cacheName);
      await Outbox.deleteMeta(metaKey);
      show(section.dataset.removed, false);
    });

    section.hidden = false;
    return showSaved();
  }

  // --- The offline page: what this device can open --------------------------------------------------------------

  async function listKeptPages(list) {
    const entries = [];
    for (const name of (await caches.keys()).filter(isUserCache)) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        if (!(response.headers.get("Content-Type") || "").startsWith("text/html")) continue;
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        const heading = doc.querySelector("h1");
        entries.push({ url: request.url, title: heading ? heading.textContent.trim() : request.url });
      }
    }
    const seen = new Set();
    const items = entries.filter((entry) => !seen.has(entry.url) && seen.add(entry.url));
    list.replaceChildren(
      ...items.map((entry) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = entry.url;
        link.textContent = entry.title;
        item.append(link);
        return item;
      }),
    );
    list.closest("[data-offline-kept]").hidden = items.length === 0;
  }

  // --- Start ------------------------------------------------------------------------------------------------

  async function start() {
    watchLessonForms();
    if ("serviceWorker" in navigator) {
      if (workerUrl) {
        navigator.serviceWorker.register(workerUrl, { scope: "/" }).catch(() => null);
        navigator.serviceWorker.addEventListener("message", (event) => {
          if (event.data && event.data.type === "outbox-sent") showNotices();
        });
      } else if (knowsLearner) {
        // Offline use switched off: remove a worker installed before, and what it kept.
        const registrations = await navigator.serviceWorker.getRegistrations();
        await Promise.all(registrations.map((registration) => registration.unregister()));
        await forgetKeptPages();
      }
    }
    const list = document.querySelector("[data-offline-list]");
    if (list) await listKeptPages(list);
    await checkLearner();
    await showKeptLessons();
    await showNotices();
    const section = document.querySelector("[data-offline-module]");
    if (section && workerUrl && learner) await setUpModuleSaving(section);
    window.addEventListener("online", send);
    await send();
    if (workerUrl) await keepNextLessons();
  }

  start();
})();
