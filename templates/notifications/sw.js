// Schoolchat's service worker: shows push notifications and opens their conversation, keeps the
// app shell (the pages' CSS and scripts) and, unless the school switched offline copies off, the
// last conversations a person opened, so they open without a network. Served from the site root
// (Service-Worker-Allowed: /) with a CSP that allows only this site.
const ICON = "{{ icon|escapejs }}";
const BADGE = "{{ badge|escapejs }}";
const SHELL = JSON.parse("{{ shell_json|escapejs }}");
const LOGIN_PATH = "{{ login_path|escapejs }}";
const KEEP_CONVERSATIONS = {{ keep_conversations }};
// The school's policy comes in the worker's own URL (/sw.js?offline=0 on shared devices).
const OFFLINE_COPIES = new URL(self.location.href).searchParams.get("offline") !== "0";
const SHELL_CACHE = "schoolchat-shell-{{ version|escapejs }}";
const PAGES_CACHE = "schoolchat-pages";
const CONVERSATION_PAGE = /^\/c\/\d+\/$/;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      const stale = name.startsWith("schoolchat-shell-") && name !== SHELL_CACHE;
      if (stale || (name === PAGES_CACHE && !OFFLINE_COPIES)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function forgetEverything() {
  for (const name of await caches.keys()) await caches.delete(name);
}

// The logout script asks for this before it signs out; it also unregisters this worker.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "logout") event.waitUntil(forgetEverything());
});

async function keepPage(request, response) {
  const cache = await caches.open(PAGES_CACHE);
  await cache.put(request, response);
  const kept = await cache.keys();  // oldest first
  for (const old of kept.slice(0, Math.max(0, kept.length - KEEP_CONVERSATIONS))) {
    await cache.delete(old);
  }
}

// A conversation page: the network first; its copy is refreshed on every visit and used when
// the network is gone. A page that now asks to sign in means the session ended: forget all.
async function conversationPage(request) {
  try {
    const response = await fetch(request);
    if (response.redirected && new URL(response.url).pathname === LOGIN_PATH) {
      await forgetEverything();
    } else if (response.ok && OFFLINE_COPIES) {
      const cache = await caches.open(PAGES_CACHE);
      await cache.delete(request);  // to the end of the list: the most recent is kept longest
      await keepPage(request, response.clone());
    }
    return response;
  } catch (error) {
    const copy = OFFLINE_COPIES && await caches.match(request, { cacheName: PAGES_CACHE });
    if (copy) return copy;
    throw error;
  }
}

// The app shell: the network first too (a new release is picked up at once), the copy offline.
async function shellFile(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(SHELL_CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const copy = await caches.match(request, { cacheName: SHELL_CACHE });
    if (copy) return copy;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && CONVERSATION_PAGE.test(url.pathname)) {
    event.respondWith(conversationPage(request));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(shellFile(request));
  }
});

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  const url = new URL(data.url || "/", self.location.origin);
  if (url.origin !== self.location.origin) return;  // only this site's pages
  event.waitUntil(self.registration.showNotification(String(data.title || "Schoolchat"), {
    body: String(data.body || ""),
    tag: String(data.tag || "schoolchat"),
    renotify: true,
    icon: ICON,
    badge: BADGE,
    data: { url: url.href, conversation: data.conversation },
    requireInteraction: Boolean(data.urgent),
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (client.url === target && "focus" in client) return client.focus();
    }
    return self.clients.openWindow(target);
  })());
});
