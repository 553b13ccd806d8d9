// The notifications page: turn this browser's push notifications on or off. Nothing is asked
// of the browser until the person presses the button. One button shows at a time, the one that
// changes the state this browser is in; while it works the button waits and the status says so,
// and a push service that has not answered in ANSWER_MS is said plainly (browsers may wait for
// it for minutes).
const box = document.getElementById("push");
const status = document.getElementById("push-status");
const on = document.getElementById("push-on");
const off = document.getElementById("push-off");
const ANSWER_MS = 10000;

class Refused extends Error {}
class NoAnswer extends Error {}

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

// The browser's answer, or NoAnswer after ANSWER_MS.
function inTime(promise) {
  let timer;
  const late = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new NoAnswer()), ANSWER_MS);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function registration() {
  return navigator.serviceWorker.register(box.dataset.workerUrl, { scope: "/" });
}

async function current() {
  const reg = await navigator.serviceWorker.getRegistration("/");
  return reg ? reg.pushManager.getSubscription() : null;
}

// The one button that changes the state; the other is hidden (never both).
function show(subscribed) {
  if (on) on.hidden = subscribed;
  if (off) off.hidden = !subscribed;
  say(subscribed ? "on" : "off");
}

function busy(button, working) {
  button.disabled = working;
  button.setAttribute("aria-busy", working ? "true" : "false");
  box.setAttribute("aria-busy", working ? "true" : "false");
}

async function turnOn() {
  busy(on, true);
  say("working");
  try {
    if (await inTime(Notification.requestPermission()) !== "granted") { say("denied"); return; }
    const reg = await inTime(registration());
    await inTime(navigator.serviceWorker.ready);
    const subscription = await inTime(reg.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.vapidKey),
    }));
    const response = await inTime(post(box.dataset.subscribeUrl, subscription.toJSON()));
    if (!response.ok) {
      // The server's sentence (translated) says why, e.g. a subscription it will not move.
      const answer = await response.json().catch(() => ({}));
      throw new Refused(typeof answer.error === "string" ? answer.error : "");
    }
    window.location.reload();  // the device list shows the new device
  } catch (e) {
    if (e instanceof Refused && e.message) status.textContent = e.message;
    else if (e instanceof NoAnswer) say("noAnswer");
    else say("failed");
  } finally {
    busy(on, false);
  }
}

async function turnOff() {
  busy(off, true);
  say("workingOff");
  try {
    const subscription = await inTime(current());
    if (subscription) {
      await inTime(post(box.dataset.unsubscribeUrl, { endpoint: subscription.endpoint }));
      await subscription.unsubscribe();
    }
    window.location.reload();
  } catch (e) {
    say(e instanceof NoAnswer ? "noAnswer" : "failed");
    busy(off, false);
  }
}

if (box && box.dataset.vapidKey) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
  } else if (Notification.permission === "denied") {
    say("denied");
  } else {
    inTime(current()).then((s) => show(Boolean(s))).catch(() => show(false));
    if (on) on.addEventListener("click", turnOn);
    if (off) off.addEventListener("click", turnOff);
  }
}
