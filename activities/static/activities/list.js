// The staff's list of replies and slips refreshes itself: the socket says the activity
// changed, the page fetches the list again (rendered by the server under the same rules as the
// page) and swaps it in. The card's forms on this page are sent as on the chat page.
const root = document.getElementById("activity");
const listUrl = root.dataset.listUrl;
const activity = Number(root.dataset.activity);
let retry = 1000;

async function refresh() {
  const response = await fetch(listUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) { return; }
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = doc.getElementById("activity-list");
  const current = document.getElementById("activity-list");
  if (fresh && current) { current.replaceWith(document.adoptNode(fresh)); }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}${root.dataset.socketPath}`);
  socket.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "hello") {
      retry = 1000;
      root.dataset.live = "1";
      refresh();  // whatever changed while the socket was away
    } else if (data.type === "activity" && data.id === activity) {
      refresh();
    }
  });
  socket.addEventListener("close", (event) => {
    root.dataset.live = "0";
    if (event.code === 4401) { return; }
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 30000);
  });
}

connect();
