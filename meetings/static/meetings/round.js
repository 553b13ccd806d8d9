// A round page refreshes its slot list itself: the socket says the round changed, the page
// fetches the list again (rendered by the server, under the same rules as the page) and swaps
// it in, so a time another family just took disappears within moments.
const root = document.getElementById("round");
const slotsUrl = root.dataset.slotsUrl;
let retry = 1000;

async function refresh() {
  const response = await fetch(slotsUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) { return; }
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = doc.getElementById("round-slots");
  const current = document.getElementById("round-slots");
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
    } else if (data.type === "meetings_round") {
      refresh();
    }
  });
  socket.addEventListener("close", (event) => {
    root.dataset.live = "0";
    if (event.code === 4401 || event.code === 4404) { return; }
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 30000);
  });
}

connect();
