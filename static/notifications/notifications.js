// The notifications page: turn this browser's push notifications on or off. Nothing is asked
// of the browser until the person presses the button.
const box = document.getElementById("push");
const status = document.getElementById("push-status");
const on = document.getElementById("push-on");
const off = document.getElementById("push-off");

class Refused extends Error {}

function say(key) { status.textContent = status.dataset[key] || ""; }

function csrf() { return box.querySelector("input[name=csrfmiddlewaretoken]").value; }

function post(url, body) {
  return fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
    body: JSON.stringify(body),
  });
}

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

async function registration() {
  return navigator.serviceWorker.register(box.dataset.workerUrl, { scope: "/" });
}

async function current() {
  const reg = await navigator.serviceWorker.getRegistration("/");
  return reg ? reg.pushManager.getSubscription() : null;
}

function show(subscribed) {
  if (on) on.hidden = subscribed;
  if (off) off.hidden = !subscribed;
  say(subscribed ? "on" : "off");
}

async function turnOn() {
  if (await Notification.requestPermission() !== "granted") { say("denied"); return; }
  try {
    const reg = await registration();
    await navigator.serviceWorker.ready;
    const subscription = await reg.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.vapidKey),
    });
    const response = await post(box.dataset.subscribeUrl, subscription.toJSON());
    if (!response.ok) {
      // The server's sentence (translated) says why, e.g. a subscription it will not move.
      const answer = await response.json().catch(() => ({}));
      throw new Refused(typeof answer.error === "string" ? answer.error : "");
    }
    window.location.reload();  // the device list shows the new device
  } catch (e) {
    if (e instanceof Refused && e.message) status.textContent = e.message;
    else say("failed");
  }
}

async function turnOff() {
  const subscription = await current();
  if (subscription) {
    await post(box.dataset.unsubscribeUrl, { endpoint: subscription.endpoint });
    await subscription.unsubscribe();
  }
  window.location.reload();
}

if (box && box.dataset.vapidKey) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
    if (on) on.hidden = true;
  } else if (Notification.permission === "denied") {
    say("denied");
  } else {
    current().then((s) => show(Boolean(s))).catch(() => show(false));
    if (on) on.addEventListener("click", turnOn);
    if (off) off.addEventListener("click", turnOff);
  }
}
