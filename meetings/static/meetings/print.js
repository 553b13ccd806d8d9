// The schedule's Print button (an inline onclick would break the page's Content-Security-Policy).
document.getElementById("print")?.addEventListener("click", () => window.print());
