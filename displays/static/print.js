// The "print" button of the printable documents (letters, reports): no inline handler, so the
// pages run under the strict Content-Security-Policy too.
for (const button of document.querySelectorAll("button.print")) button.addEventListener("click", () => window.print());
