// The device's queue of actions made without a connection (IndexedDB), and the one way they are sent. Loaded by
// the pages (before offline.js) and by the service worker (importScripts), so both keep and send alike.
// Each action carries an id made here and the learner it was made for: the server applies an id once, and only
// the signed-in learner's own actions are ever sent, so a shared phone never sends one person's work as another's.
(function (scope) {
  "use strict";
  if (!scope.indexedDB || !scope.fetch) return;

  const DB_NAME = "school-offline";
  const BATCH_SIZE = 100; // the server's limit per request (progress.services.offline.BATCH_MAX_ITEMS)

  function openDatabase() {
    return new Promise((resolve, reject) => {
      const request = scope.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("outbox", { keyPath: "id" });
        // What a send in the background did, for the next page to tell the learner.
        db.createObjectStore("notices", { autoIncrement: true });
        db.createObjectStore("meta");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  // One transaction on one store: `work` gets the store and returns the request whose result is the answer.
  async function inStore(name, mode, work) {
    const db = await openDatabase();
    try {
      return await new Promise((resolve, reject) => {
        const transaction = db.transaction(name, mode);
        const request = work(transaction.objectStore(name));
        transaction.oncomplete = () => resolve(request ? request.result : undefined);
        transaction.onerror = transaction.onabort = () => reject(transaction.error);
      });
    } finally {
      db.close();
    }
  }

  function newId() {
    if (scope.crypto.randomUUID) return scope.crypto.randomUUID();
    const bytes = scope.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  async function waiting(learner) {
    const items = await inStore("outbox", "readonly", (store) => store.getAll());
    return items.filter((item) => item.learner === learner).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  // What the server reads of an item; the title and address stay on the device, to tell the learner.
  function onTheWire(item) {
    return { id: item.id, type: item.type, lesson: item.lesson, learner: item.learner, at: item.at };
  }

  // Pages kept on this device still show a lesson sent a moment ago as not done: fetch them again.
  async function refreshKept(urls) {
    if (!scope.caches) return;
    const names = (await scope.caches.keys()).filter((name) => !name.startsWith("static-"));
    for (const url of new Set(urls)) {
      for (const name of names) {
        const cache = await scope.caches.open(name);
        if (await cache.match(url)) await cache.add(url).catch(() => null);
      }
    }
  }

  async function sendNow(endpoint) {
    // Who is signed in now, and the token to post with: a worker has no page to read them from.
    const who = await fetch(endpoint, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (who.status === 403) return { learner: null, sent: [], refused: [] };
    if (!who.ok) throw new Error("outbox: " + who.status);
    const { learner, csrf_token: token } = await who.json();
    const sent = [];
    const refused = [];
    for (;;) {
      const items = (await waiting(learner)).slice(0, BATCH_SIZE);
      if (!items.length) break;
      const response = await fetch(endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ items: items.map(onTheWire) }),
      });
      // Anything but an answer per item (no connection, a server error, a session that ended): keep them all.
      if (!response.ok) throw new Error("outbox: " + response.status);
      const answers = (await response.json()).items || [];
      const byId = new Map(items.map((item) => [item.id, item]));
      const answered = [];
      answers.forEach((answer) => {
        const item = byId.get(answer.id);
        if (!item) return;
        answered.push(item.id);
        if (answer.status === "refused") refused.push({ title: item.title, url: item.url, message: answer.message });
        else sent.push({ title: item.title, url: item.url, lesson: item.lesson });
      });
      await inStore("outbox", "readwrite", (store) => {
        answered.forEach((id) => store.delete(id));
      });
      if (answered.length < items.length) break;
    }
    await refreshKept(sent.map((item) => item.url));
    return { learner, sent, refused };
  }

  scope.Outbox = {
    // Keep an action for `item.learner`; returns it with its id and the time it was taken.
    async add(item) {
      const kept = Object.assign({ id: newId(), at: new Date().toISOString() }, item);
      await inStore("outbox", "readwrite", (store) => store.put(kept));
      return kept;
    },
    waiting,
    // Send the signed-in learner's actions; one sender at a time (a page and the worker may both try).
    send(endpoint) {
      const locks = scope.navigator && scope.navigator.locks;
      return locks ? locks.request("outbox-send", () => sendNow(endpoint)) : sendNow(endpoint);
    },
    addNotice(notice) {
      return inStore("notices", "readwrite", (store) => store.add(notice));
    },
    // The notices left by background sends, removed as they are read.
    async takeNotices() {
      const notices = await inStore("notices", "readonly", (store) => store.getAll());
      if (notices.length) await inStore("notices", "readwrite", (store) => store.clear());
      return notices;
    },
    getMeta(key) {
      return inStore("meta", "readonly", (store) => store.get(key));
    },
    setMeta(key, value) {
      return inStore("meta", "readwrite", (store) => store.put(value, key));
    },
    deleteMeta(key) {
      return inStore("meta", "readwrite", (store) => store.delete(key));
    },
  };
})(self);
