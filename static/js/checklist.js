// Saves each checklist answer as it is given. Answers wait in this phone's storage (ids and
// ratings only, no names) until the server has them, so no signal loses nothing; each carries
// a client id, so an answer sent twice is stored once.
const form = document.querySelector("[data-checklist]");
const status = document.querySelector("[data-sync]");
const KEY = "qa-portal-answers-v1";

const newId = () => (crypto.randomUUID ? crypto.randomUUID()
  : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));
const load = () => JSON.parse(localStorage.getItem(KEY) || "[]");
const store = (queue) => localStorage.setItem(KEY, JSON.stringify(queue));
const csrf = () => form?.querySelector("[name=csrf_token]")?.value;

function show(message, waiting) {
  if (!status) return;
  status.textContent = message;
  status.classList.toggle("portal-sync--waiting", waiting);
}

function report(problem) {
  const waiting = load().length;
  if (problem) show(problem, true);
  else if (waiting) show(`${waiting} answer${waiting === 1 ? "" : "s"} waiting to be sent. `
    + "They stay on this phone and send when the signal returns.", true);
  else show("All answers saved.", false);
}

let flushing = false;
async function flush() {
  if (flushing) return;
  flushing = true;
  let problem = "";
  try {
    for (const item of load()) {
      let response;
      try {
        response = await fetch(item.url, {
          method: "POST", credentials: "same-origin", redirect: "manual",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() || item.csrf },
          body: JSON.stringify(item.answer),
        });
      } catch {
        break; // offline: keep everything for later
      }
      if (response.type === "opaqueredirect" || response.status === 401) {
        problem = "Sign in again to send the answers waiting on this phone.";
        break;
      }
      if (response.status >= 500 || response.status === 400 && !response.headers
        .get("Content-Type")?.includes("json")) break;
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        problem = body.error || "An answer was refused.";
      }
      store(load().filter((queued) => queued.answer.client_id !== item.answer.client_id));
    }
  } finally {
    flushing = false;
    report(problem);
  }
}

function queueAnswer(box) {
  const id = box.dataset.criterion;
  const checked = box.querySelector(`[name="rating-${id}"]:checked`);
  const answer = {
    client_id: newId(), criterion_id: Number(id), rating: checked ? checked.value : null,
    note: box.querySelector(`[name="note-${id}"]`).value,
    answered_at: new Date().toISOString(),
  };
  store([...load(), { url: form.dataset.answersUrl, csrf: csrf(), answer }]);
  report();
  flush();
}

if (form) {
  const timers = {};
  form.addEventListener("change", (event) => {
    const box = event.target.closest("[data-criterion]");
    if (box) queueAnswer(box);
  });
  form.addEventListener("input", (event) => {
    const box = event.target.closest("[data-criterion]");
    if (!box || event.target.tagName !== "TEXTAREA") return;
    clearTimeout(timers[box.dataset.criterion]);
    timers[box.dataset.criterion] = setTimeout(() => queueAnswer(box), 1500);
  });
  // Every answer is already queued: moving on needs no second save.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.assign(form.dataset.next);
  });
}

window.addEventListener("online", flush);
setInterval(() => load().length && flush(), 30000);
if (load().length) flush(); else if (form) report();
