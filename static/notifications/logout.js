// On every page: logging out also turns off this browser's push subscription, so a shared
// computer stops showing the person's notifications (the server removes the device too).
const form = document.querySelector("form[action$='/logout/']");
if (form && "serviceWorker" in navigator) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.pushDone) return;
    event.preventDefault();
    try {
      const reg = await navigator.serviceWorker.getRegistration("/");
      const subscription = reg && await reg.pushManager.getSubscription();
      if (subscription) await subscription.unsubscribe();
    } catch (e) { /* log out regardless */ }
    form.dataset.pushDone = "1";
    form.submit();
  });
}
