// Starts GOV.UK Frontend's components (menus, error summary focus, password reveal).
import { initAll } from "../vendor/govuk-frontend-6.3.0/govuk-frontend.min.js";

initAll();

// The checklist's unsent answers (localStorage) and photos (IndexedDB, see checklist.js).
// Only the signed-in person's: another person's work waits for them (see checklist.js).
const USER = document.body.dataset.user || "";
const waitingAnswers = () => JSON.parse(localStorage.getItem("qa-portal-answers-v1") || "[]")
  .filter((item) => (item.user || "") === USER).length;
const waitingPhotos = () => new Promise((done) => {
  try {
    const request = indexedDB.open("qa-portal", 1);
    request.onupgradeneeded = () => request.transaction.abort(); // none yet: create nothing
    request.onerror = () => done(0);
    request.onsuccess = () => {
      const db = request.result;
      const all = db.transaction("photos").objectStore("photos").getAll();
      all.onsuccess = () => done(all.result.filter((p) => (p.user || "") === USER).length);
      all.onerror = () => done(0);
      db.close();
    };
  } catch {
    done(0);
  }
});

// The offline copies of checklist pages the service worker keeps (sw.js), and the record of
// what was sent since: the next person to use this phone must see none of them.
async function forgetOfflineCopies() {
  localStorage.removeItem("qa-portal-sent-v1");
  for (const name of await (window.caches?.keys() || [])) {
    if (name.startsWith("qa-portal-")) await caches.delete(name);
  }
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
document.querySelectorAll("[data-sign-out]").forEach((signOut) => {
  signOut.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answers = waitingAnswers();
    const photos = await waitingPhotos();
    const waiting = [answers && plural(answers, "answer"), photos && plural(photos, "photo")]
      .filter(Boolean).join(" and ");
    if (waiting && !window.confirm(`${waiting} ${answers + photos === 1 ? "has" : "have"} not `
      + "reached the server yet. They stay on this phone and send when you next sign in. "
      + "Sign out anyway?")) return;
    await forgetOfflineCopies().catch(() => {});
    signOut.submit();
  });
});

// A page shown to nobody signed in (after signing out, or when a session has ended) has no
// business leaving signed-in pages behind.
if (!document.querySelector("[data-sign-out]")) forgetOfflineCopies().catch(() => {});
