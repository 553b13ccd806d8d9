// The roster import's page while the worker applies the file: every two seconds it asks the
// status address and moves the progress bar and its sentence ("312 of 4,000 lines"); once the
// import has finished it reloads, and the page shows what the import did. Without script the
// page refreshes itself (a <noscript> refresh) and shows the same.
const section = document.getElementById("roster-import");
const bar = document.getElementById("roster-progress");
const text = document.getElementById("roster-progress-text");

async function poll() {
  try {
    const response = await fetch(section.dataset.statusUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.ok) {
      const status = await response.json();
      if (status.finished) {
        window.location.reload();
        return;
      }
      bar.max = Math.max(status.total, 1);
      bar.value = status.done;
      if (text.textContent !== status.text) text.textContent = status.text;
    }
  } catch {
    // Offline for a moment: try again at the next tick.
  }
  window.setTimeout(poll, 2000);
}

if (section && bar && text) window.setTimeout(poll, 2000);
