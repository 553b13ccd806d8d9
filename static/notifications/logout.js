// On every page: logging out also turns off this browser's push subscription, so a shared
// computer stops showing the person's notifications (the server removes the device too), and
// forgets everything this browser kept: the offline copies of conversations, the app shell, the
// chat's unsent messages and the service worker itself.
const form = document.querySelector("form[action$='/logout/']");

async function forget() {
  try { sessionStorage.clear(); } catch (e) { /* storage switched off */ }
  try {
    // The chat's outboxes (messages written offline, static/js/chat/socket.js).
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith("schoolchat-outbox:")) localStorage.removeItem(key);
    }
  } catch (e) { /* storage switched off */ }
  if (!("serviceWorker" in navigator)) return;
  const reg = await navigator.serviceWorker.getRegistration("/");
  const subscription = reg && await reg.pushManager.getSubscription();
  if (subscription) await subscription.unsubscribe();
  if (reg && reg.active) reg.active.postMessage({ type: "logout" });
  if ("caches" in window) {
    for (const name of await caches.keys()) {
      if (name.startsWith("schoolchat-")) await caches.delete(name);
    }
  }
  if (reg) await reg.unregister();
}

if (form) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.pushDone) return;
    event.preventDefault();
    // The server closes this page's socket on logout; the chat must not reload over the form.
    document.documentElement.dataset.signingOut = "1";
    try { await forget(); } catch (e) { /* log out regardless */ }
    form.dataset.pushDone = "1";
    form.submit();
  });
}
