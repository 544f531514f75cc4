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

// Photos are made smaller on the phone (long edge 2000 px) before they are sent: a 12 MP
// picture would take a minute on a weak signal. The server strips their metadata.
async function downscale(file, longEdge = 2000) {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, longEdge / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size < 1500000) return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await new Promise((done) => canvas.toBlob((blob) => done(blob || file),
      "image/jpeg", 0.85));
  } catch {
    return file; // a format the browser cannot draw: let the server decide
  }
}

async function sendPhoto(input) {
  const box = input.closest("[data-criterion]");
  const id = box.dataset.criterion;
  const clientInput = box.querySelector(`[name="photo-client-${id}"]`);
  const caption = box.querySelector(`[name="caption-${id}"]`);
  const body = new FormData();
  body.append("client_id", clientInput.value);
  body.append("criterion_id", id);
  body.append("caption", caption ? caption.value : "");
  body.append("photo", await downscale(input.files[0]), "photo.jpg");
  show("Sending the photo…", true);
  let response;
  try {
    response = await fetch(form.dataset.photosUrl, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "X-CSRFToken": csrf() }, body,
    });
  } catch {
    show("The photo has not been sent: no signal. Choose it again when the signal returns.",
      true);
    return;
  }
  const result = await response.json().catch(() => ({}));
  if (!response.ok) {
    show(result.error || "The photo was refused.", true);
    return;
  }
  const item = document.createElement("li");
  const img = document.createElement("img");
  Object.assign(img, { src: result.thumbnail, width: 96, height: 96,
    alt: (caption && caption.value) || "Evidence photo" });
  item.append(img);
  box.querySelector("[data-photos]").append(item);
  input.value = "";
  if (caption) caption.value = "";
  clientInput.value = newId();
  report();
}

if (form) {
  const timers = {};
  form.addEventListener("change", (event) => {
    if (event.target.matches("[data-photo]") && event.target.files.length) {
      event.stopImmediatePropagation();
      sendPhoto(event.target);
    }
  }, true);
  form.addEventListener("change", (event) => {
    const box = event.target.closest("[data-criterion]");
    if (box && !event.target.matches("[data-photo], [name^=caption-]")) queueAnswer(box);
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
