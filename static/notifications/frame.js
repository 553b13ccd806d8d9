// On every page of a signed-in person: register the service worker (push notifications, the
// app shell and the offline copies of the last conversations), and say so when the browser is
// offline, so a conversation read from this device's copy is not taken for the latest.
const script = document.getElementById("frame-script");

if (script && "serviceWorker" in navigator) {
  navigator.serviceWorker.register(script.dataset.workerUrl, { scope: "/" }).catch(() => {});
}

function showOffline() {
  let note = document.getElementById("offline-note");
  if (!navigator.onLine) {
    if (note) return;
    note = document.createElement("p");
    note.id = "offline-note";
    note.className = "notice offline";
    note.setAttribute("role", "status");
    note.textContent = script ? script.dataset.textOffline : "";
    const main = document.getElementById("main");
    if (main) main.prepend(note);
  } else if (note) {
    note.remove();
  }
}

window.addEventListener("online", showOffline);
window.addEventListener("offline", showOffline);
showOffline();
