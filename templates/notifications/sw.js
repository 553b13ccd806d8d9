// Schoolchat's service worker: shows push notifications and opens their conversation, keeps the
// app shell (the pages' CSS and scripts, and our own "not available offline" page) and, unless
// the school switched offline copies off, the inbox and the last conversations a person opened,
// so the installed app opens without a network on the last inbox. A page that was not kept
// opens as our offline page, never as the browser's error page. Served from the site root
// (Service-Worker-Allowed: /) with a CSP that allows only this site.
const ICON = "{{ icon|escapejs }}";
const BADGE = "{{ badge|escapejs }}";
const SHELL = JSON.parse("{{ shell_json|escapejs }}");
const LOGIN_PATH = "{{ login_path|escapejs }}";
const INBOX_PATH = "{{ inbox_path|escapejs }}";
const OFFLINE_PATH = "{{ offline_path|escapejs }}";
const KEEP_CONVERSATIONS = {{ keep_conversations }};
// The school's policy comes in the worker's own URL (/sw.js?offline=0 on shared devices).
const OFFLINE_COPIES = new URL(self.location.href).searchParams.get("offline") !== "0";
const SHELL_CACHE = "schoolchat-shell-{{ version|escapejs }}";
const PAGES_CACHE = "schoolchat-pages";
const CONVERSATION_PAGE = /^\/c\/\d+\/$/;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll([...SHELL, OFFLINE_PATH]);
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

// Kept under the page's path alone (no query, no fragment), so the inbox can ask which
// conversations it has.
function pageKey(request) {
  return new URL(request.url).origin + new URL(request.url).pathname;
}

async function keepPage(request, response) {
  const cache = await caches.open(PAGES_CACHE);
  const key = pageKey(request);
  await cache.delete(key);  // to the end of the list: the most recent is kept longest
  await cache.put(key, response);
  // Only conversations count against the limit; the inbox is one page, always kept.
  const kept = (await cache.keys())  // oldest first
    .filter((r) => CONVERSATION_PAGE.test(new URL(r.url).pathname));
  for (const old of kept.slice(0, Math.max(0, kept.length - KEEP_CONVERSATIONS))) {
    await cache.delete(old);
  }
}

// Our page for a page not kept, fetched again when the person's language changed (the
// server's Content-Language says which the kept copy speaks).
async function refreshOfflinePage(language) {
  const cache = await caches.open(SHELL_CACHE);
  const kept = await cache.match(OFFLINE_PATH);
  if (kept && kept.headers.get("Content-Language") === language) return;
  const response = await fetch(OFFLINE_PATH, { credentials: "same-origin" });
  if (response.ok) await cache.put(OFFLINE_PATH, response);
}

async function offlinePage() {
  const page = await caches.match(OFFLINE_PATH, { cacheName: SHELL_CACHE });
  return page || Response.error();
}

// The inbox and a conversation page: the network first; the copy is refreshed on every visit
// and used when the network is gone. A page that now asks to sign in means the session ended:
// forget all.
async function keptPage(request) {
  try {
    const response = await fetch(request);
    if (response.redirected && new URL(response.url).pathname === LOGIN_PATH) {
      await forgetEverything();
    } else if (response.ok && !response.redirected) {
      // An older page of a conversation (?before=…) does not replace its newest messages.
      if (OFFLINE_COPIES && !new URL(request.url).search) await keepPage(request, response.clone());
      const language = response.headers.get("Content-Language");
      if (language) refreshOfflinePage(language).catch(() => {});
    }
    return response;
  } catch (error) {
    const copy = OFFLINE_COPIES && await caches.match(pageKey(request), { cacheName: PAGES_CACHE });
    return copy || offlinePage();
  }
}

// Any other page: the network only; without one, our offline page.
async function otherPage(request) {
  try {
    return await fetch(request);
  } catch (error) {
    return offlinePage();
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
  if (request.mode === "navigate") {
    const kept = url.pathname === INBOX_PATH || CONVERSATION_PAGE.test(url.pathname);
    event.respondWith(kept ? keptPage(request) : otherPage(request));
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
