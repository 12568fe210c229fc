{% autoescape off %}// The service worker of the site (served at /sw.js by school.views.service_worker, so its scope is the whole site).
// Pages are asked from the network first; without one, a page kept on this device opens instead, or the offline
// page. Only pages marked X-Offline-Keep (course, module and lesson pages of a signed-in learner) are kept; quiz
// pages, /my/ and the rest never are. Actions made offline wait in the outbox (outbox.js) and are sent by the
// page, or here when the browser wakes the worker with Background Sync.
{% if enabled %}"use strict";
const CONFIG = {{ config }};
const STATIC_CACHE = "static-" + CONFIG.version;
// Pages the learner opened (and the next lessons the page asked for), with their pictures. Saved modules
// have caches of their own ("module-<id>"), which only the learner removes.
const PAGES_CACHE = "pages";
const PAGES_KEPT = 120;

importScripts(CONFIG.outboxScript);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(STATIC_CACHE)
      .then((cache) => cache.addAll(CONFIG.precache))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((name) => name.startsWith("static-") && name !== STATIC_CACHE).map((name) => caches.delete(name))),
      )
      .then(() => self.clients.claim()),
  );
});

async function trimPages(cache) {
  const requests = await cache.keys();
  // Oldest first: keys come in the order they were put.
  await Promise.all(requests.slice(0, Math.max(0, requests.length - PAGES_KEPT)).map((request) => cache.delete(request)));
}

async function keep(request, response) {
  const cache = await caches.open(PAGES_CACHE);
  await cache.put(request.url, response);
  await trimPages(cache);
}

async function page(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.headers.get("X-Offline-Keep") === "1") {
      event.waitUntil(keep(request, response.clone()));
    }
    return response;
  } catch (error) {
    const kept = await caches.match(request.url, { ignoreVary: true });
    return kept || (await caches.match(CONFIG.offlinePage)) || Response.error();
  }
}

// Static files: from this device at once, refreshed in the background (production names carry a hash).
async function staticFile(event) {
  const cached = await caches.match(event.request, { ignoreVary: true });
  const fresh = fetch(event.request).then(async (response) => {
    if (response.ok) {
      const cache = await caches.open(STATIC_CACHE);
      await cache.put(event.request, response.clone());
    }
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => null));
    return cached;
  }
  return fresh;
}

// Pictures: a rendition's name changes with its content, so a kept copy is always right.
async function image(event) {
  const cached = await caches.match(event.request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(event.request);
  if (response.ok) event.waitUntil(keep(event.request, response.clone()));
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (url.pathname.startsWith(CONFIG.staticUrl)) {
    event.respondWith(staticFile(event));
  } else if (url.pathname.startsWith(CONFIG.imagesUrl)) {
    event.respondWith(image(event));
  }
});

// Background Sync: the browser wakes the worker once it is online again, even with no page of the site open.
self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil(
    self.Outbox.send(CONFIG.outboxUrl).then(async (result) => {
      if (result.sent.length || result.refused.length) await self.Outbox.addNotice(result);
      const windows = await self.clients.matchAll({ type: "window" });
      windows.forEach((client) => client.postMessage({ type: "outbox-sent" }));
    }),
  );
});
{% else %}"use strict";
// Offline use is switched off: this worker replaces the one a browser may have, removes what it kept, and
// unregisters itself. Actions waiting in the outbox stay in the browser's database.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.map((name) => caches.delete(name))))
      .then(() => self.registration.unregister()),
  );
});
{% endif %}{% endautoescape %}
