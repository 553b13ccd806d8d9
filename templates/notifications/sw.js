// Schoolchat's service worker: shows push notifications and opens their conversation.
// Served from the site root (Service-Worker-Allowed: /) with a CSP that allows only this site.
const ICON = "{{ icon|escapejs }}";
const BADGE = "{{ badge|escapejs }}";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

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
