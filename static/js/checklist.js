// Saves each checklist answer and photo as it is given. Answers wait in this phone's storage
// (localStorage) and photos in IndexedDB until the server has them, so no signal loses
// nothing; each carries a client id, so one sent twice is stored once. A service worker
// (sw.js) keeps a copy of the checklist pages, so they reopen with no signal.
// Nothing waits behind anything else: an answer the server refuses (4xx) is put aside, shown
// beside its criterion to correct or discard; one that meets a server error or no signal is
// tried again later, each on its own clock (item.next), while the others go on.
const form = document.querySelector("[data-checklist]");
const status = document.querySelector("[data-sync]");
const KEY = "qa-portal-answers-v1";
const SENT = "qa-portal-sent-v1"; // sent since the page's offline copy was taken (see restore)
const PAGE = location.pathname;
const SIGN_IN = "Sign in again to send what is waiting on this phone.";
const controlled = Boolean(navigator.serviceWorker?.controller);
// What waits on a shared phone is sent only by the person who gave it, never under the next
// person's name: each item carries its author's user id.
const USER = document.body.dataset.user || "";
const mine = (item) => (item.user || "") === USER;
const RETRY_MS = 2000; // the first wait after a server error; doubled each time, to...
const RETRY_CAP_MS = 300000; // ...five minutes at most

const newId = () => (crypto.randomUUID ? crypto.randomUUID()
  : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));
const load = () => JSON.parse(localStorage.getItem(KEY) || "[]");
const store = (queue) => localStorage.setItem(KEY, JSON.stringify(queue));
const pending = () => load().filter((item) => mine(item) && !item.refused);
// The queued item with this client id changed (or, with no change, removed).
const settle = (item, change) => store(load().flatMap((queued) =>
  (queued.answer.client_id !== item.answer.client_id ? [queued] : change ? [{ ...queued, ...change }]
    : [])));
const loadSent = () => JSON.parse(localStorage.getItem(SENT) || "{}");
const storeSent = (sent) => localStorage.setItem(SENT, JSON.stringify(sent));
const csrf = () => form?.querySelector("[name=csrf_token]")?.value;
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

// IndexedDB, database "qa-portal", store "photos": {client_id, criterion_id, caption, blob,
// url, page, at}. Any failure (no IndexedDB, private mode) rejects: callers fall back.
let opened;
function photoStore(mode, work) {
  opened ||= new Promise((resolve, reject) => {
    const request = indexedDB.open("qa-portal", 1);
    request.onupgradeneeded = () => request.result
      .createObjectStore("photos", { keyPath: "client_id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = request.onblocked = () => reject(request.error);
  });
  return opened.then((db) => new Promise((resolve, reject) => {
    const transaction = db.transaction("photos", mode);
    const request = work(transaction.objectStore("photos"));
    transaction.oncomplete = () => resolve(request.result);
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  }));
}

let photosWaiting = 0;
async function queuedPhotos() {
  const photos = await photoStore("readonly", (s) => s.getAll()).catch(() => []);
  const own = photos.filter(mine);
  photosWaiting = own.length;
  return own.sort((a, b) => a.at - b.at);
}

function show(message, waiting) {
  if (!status) return;
  status.textContent = message;
  status.classList.toggle("portal-sync--waiting", waiting);
}

// Beside each criterion whose latest answer the server refused: why, and a way to let it go.
function markRefused(refused) {
  if (!form) return;
  form.querySelectorAll("[data-refused]").forEach((notice) => {
    notice.parentElement.classList.remove("govuk-form-group--error");
    notice.remove();
  });
  for (const item of refused) {
    const box = item.url === form.dataset.answersUrl
      && form.querySelector(`[data-criterion="${item.answer.criterion_id}"]`);
    if (!box) continue;
    box.querySelector("[data-refused]")?.remove();
    const notice = document.createElement("div");
    notice.dataset.refused = "";
    notice.innerHTML = "<p class=\"govuk-error-message\"></p><button type=\"button\" "
      + "class=\"govuk-button govuk-button--secondary govuk-!-margin-bottom-2\" data-discard>"
      + "Discard this answer</button>";
    notice.firstChild.textContent = `Not accepted: ${item.refused}`;
    box.classList.add("govuk-form-group--error");
    box.querySelector("textarea").before(notice);
  }
}

function report(problem) {
  const queue = load().filter(mine);
  const refused = queue.filter((item) => item.refused);
  const answers = queue.length - refused.length;
  markRefused(refused);
  const waiting = [answers && plural(answers, "answer"), photosWaiting && plural(photosWaiting,
    "photo")].filter(Boolean).join(" and ");
  const message = [refused.length && `${plural(refused.length, "answer")} not accepted: `
    + "correct or discard what is marked \"Not accepted\".", problem || (waiting
    && `${waiting} waiting to be sent. They stay on this phone and send when the signal returns.`)];
  if (message.some(Boolean)) show(message.filter(Boolean).join(" "), true);
  else show("All answers saved.", false);
}

class Stop extends Error {} // leave the rest queued; the message (if any) is for the user

// A copy of the page from the service worker carries the CSRF token of its day: sign-in
// starts a new session, and with it a new token. Read the current one from the page itself
// (network only: the service worker does not touch a script's fetch).
async function freshToken() {
  let response;
  try {
    response = await fetch(PAGE, { credentials: "same-origin", redirect: "manual",
      cache: "no-store" });
  } catch {
    throw new Stop("");
  }
  if (response.type === "opaqueredirect" || response.status === 401) throw new Stop(SIGN_IN);
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  // Someone else signed in on this phone since: their session must not carry this work.
  if ((page.body.dataset.user || "") !== USER) throw new Stop(SIGN_IN);
  const token = page.querySelector("[data-checklist] [name=csrf_token]")?.value;
  if (token) document.querySelectorAll("[name=csrf_token]").forEach((i) => { i.value = token; });
}

// The response of a definitive answer (2xx or a refusal); a Stop when it should wait.
async function post(url, headers, body) {
  for (let attempt = 0; ; attempt += 1) {
    let response;
    try {
      response = await fetch(url, { method: "POST", credentials: "same-origin",
        redirect: "manual", headers: { ...headers, "X-CSRFToken": csrf() }, body });
    } catch {
      throw new Stop(""); // offline
    }
    if (response.type === "opaqueredirect" || response.status === 401) throw new Stop(SIGN_IN);
    // A 400 page rather than a JSON refusal: the CSRF token was refused. Renew it once.
    const expired = response.status === 400
      && !response.headers.get("Content-Type")?.includes("json");
    if (expired && attempt === 0) await freshToken();
    else if (expired || response.status >= 500 || [408, 429].includes(response.status)) {
      throw new Stop("");
    } else return response;
  }
}

function remember(page, add) {
  if (!page) return;
  const sent = loadSent();
  add(sent[page] ||= { answers: {}, photos: [] });
  storeSent(sent);
}

function thumbnail(criterionId, src, caption, waiting) {
  const list = form.querySelector(`[data-criterion="${criterionId}"] [data-photos]`);
  if (!list) return;
  const item = document.createElement("li");
  const img = document.createElement("img");
  Object.assign(img, { src, width: 96, height: 96, alt: caption || "Evidence photo" });
  item.append(img);
  if (waiting) {
    const label = document.createElement("span");
    label.className = "govuk-body-s govuk-!-display-block govuk-!-margin-0";
    label.textContent = "Waiting to be sent";
    item.dataset.waiting = waiting;
    item.append(label);
  }
  list.append(item);
}

// "" when the server has it, the refusal otherwise; throws Stop to keep it for later.
async function sendPhoto(photo) {
  const body = new FormData();
  body.append("client_id", photo.client_id);
  body.append("criterion_id", photo.criterion_id);
  body.append("caption", photo.caption);
  body.append("photo", photo.blob, "photo.jpg");
  const response = await post(photo.url, {}, body);
  const result = await response.json().catch(() => ({}));
  await photoStore("readwrite", (s) => s.delete(photo.client_id)).catch(() => {});
  photosWaiting = Math.max(0, photosWaiting - 1);
  const item = form?.querySelector(`[data-waiting="${photo.client_id}"]`);
  if (item) delete item.dataset.waiting;
  if (response.ok) {
    remember(photo.page, (page) => page.photos.push({ criterion_id: photo.criterion_id,
      src: result.thumbnail, caption: photo.caption }));
    if (item) {
      const img = item.querySelector("img");
      const local = img.src;
      img.onload = () => URL.revokeObjectURL(local);
      img.src = result.thumbnail;
      item.lastChild.remove();
    }
    return "";
  }
  const problem = result.error
    || (response.status === 413 ? "The photo is too large to send." : "A photo was refused.");
  if (item) item.lastChild.textContent = `Not sent: ${problem}`;
  return problem;
}

const sameCriterion = (a, b) => a.url === b.url && a.answer.criterion_id === b.answer.criterion_id;
const passing = (error) => { if (!(error instanceof Stop) || error.message) throw error; };

async function sendAnswer(item) {
  let response;
  try {
    response = await post(item.url, { "Content-Type": "application/json" },
      JSON.stringify(item.answer));
  } catch (error) {
    passing(error); // a lost session stops everything; a server error or no signal waits:
    const stored = load().find((queued) => queued.answer.client_id === item.answer.client_id);
    const tries = (stored?.tries || 0) + 1; // longer each time, jittered so phones part company
    const wait = Math.min(RETRY_CAP_MS, RETRY_MS * 2 ** (tries - 1)) * (0.5 + Math.random() / 2);
    settle(item, { tries, next: Date.now() + wait });
    return;
  }
  if (response.ok) {
    remember(item.page, (page) => { page.answers[item.answer.criterion_id] = item.answer; });
    settle(item, null);
    return;
  }
  const refused = (await response.json().catch(() => ({}))).error
    || `the server refused it (${response.status}).`;
  // Put aside for the person, unless they have changed that answer since: the newer replaces it.
  const queue = load();
  const at = queue.findIndex((queued) => queued.answer.client_id === item.answer.client_id);
  const newer = queue.slice(at + 1).some((queued) => mine(queued) && sameCriterion(queued, item));
  settle(item, newer ? null : { refused });
}

let flushing = false;
let again = false;
let back = false; // the signal returned during a flush: the waits it set were set without it
let timer;
const waitNoLonger = () => store(load().map(({ next, tries, ...item }) => item));
async function flush() {
  if (flushing) {
    again = true;
    return;
  }
  flushing = true;
  let problem = "";
  try {
    for (const item of pending()) if (!(item.next > Date.now())) await sendAnswer(item);
    for (const photo of await queuedPhotos()) {
      try {
        problem = (await sendPhoto(photo)) || problem;
      } catch (error) {
        passing(error); // this one stays for later; the next may go
      }
    }
  } catch (error) {
    if (error instanceof Stop) problem = error.message;
  } finally {
    flushing = false;
    if (back) {
      back = false;
      waitNoLonger();
      again = true;
    }
    report(problem);
    clearTimeout(timer);
    const soonest = Math.min(...pending().map((item) => item.next).filter((t) => t > Date.now()));
    if (soonest < Infinity) timer = setTimeout(retry, soonest - Date.now());
    if (again) {
      again = false;
      flush();
    }
  }
}

// Only for what is marked "Not accepted" on this page's criterion.
function drop(criterionId) {
  store(load().filter((item) => !(mine(item) && item.refused && item.url === form.dataset.answersUrl
    && item.answer.criterion_id === criterionId)));
}

function queueAnswer(box) {
  const id = box.dataset.criterion;
  drop(Number(id)); // corrected: the new answer replaces the one not accepted
  const checked = box.querySelector(`[name="rating-${id}"]:checked`);
  const answer = {
    client_id: newId(), criterion_id: Number(id), rating: checked ? checked.value : null,
    note: box.querySelector(`[name="note-${id}"]`).value,
    answered_at: new Date().toISOString(),
  };
  store([...load(), { url: form.dataset.answersUrl, page: PAGE, user: USER, answer }]);
  report();
  flush();
}

// Photos are made smaller on the phone before they are sent: a 12 MP picture would take a
// minute on a weak signal. Long edge 2000 px, then smaller or more compressed until the file
// fits UPLOAD_BUDGET: 4 seconds at 750 kbit/s. The server strips their metadata.
const UPLOAD_BUDGET = 360000;
const ENCODINGS = [[2000, 0.85], [2000, 0.72], [1600, 0.72], [1600, 0.6], [1280, 0.6]];

async function downscale(file) {
  let bitmap = null;
  const canvas = document.createElement("canvas");
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const longest = Math.max(bitmap.width, bitmap.height);
    const oversize = longest > ENCODINGS[0][0];
    if (!oversize && file.size <= UPLOAD_BUDGET) return file;
    // A photo over 2000 px is always sent smaller; one within it only if that saves bytes.
    let best = oversize ? null : file;
    const tried = new Set();
    for (const [edge, quality] of ENCODINGS) {
      const scale = Math.min(1, edge / longest);
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      const key = `${canvas.width}x${canvas.height}@${quality}`;
      if (tried.has(key)) continue;
      tried.add(key);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", quality));
      if (blob && (!best || blob.size < best.size)) best = blob;
      if (best && best.size <= UPLOAD_BUDGET) break;
    }
    return best || file;
  } catch {
    return file; // a format the browser cannot draw: let the server decide
  } finally {
    // One canvas, emptied after: phones cap the memory all canvases may hold.
    canvas.width = 0;
    canvas.height = 0;
    if (bitmap) bitmap.close();
  }
}

async function takePhoto(input) {
  const box = input.closest("[data-criterion]");
  const id = box.dataset.criterion;
  const clientInput = box.querySelector(`[name="photo-client-${id}"]`);
  const caption = box.querySelector(`[name="caption-${id}"]`);
  // A fresh id per photo: the page's own (for the no-script form) repeats on an offline copy.
  const photo = { client_id: newId(), criterion_id: Number(id),
    caption: caption ? caption.value : "", blob: await downscale(input.files[0]),
    url: form.dataset.photosUrl, page: PAGE, user: USER, at: Date.now() };
  const kept = await photoStore("readwrite", (s) => s.put(photo)).then(() => true, () => false);
  thumbnail(id, URL.createObjectURL(photo.blob), photo.caption, photo.client_id);
  input.value = "";
  if (caption) caption.value = "";
  clientInput.value = newId();
  if (kept) {
    photosWaiting += 1;
    report();
    flush();
    return;
  }
  // No IndexedDB: send it now, or ask for it again when the signal returns.
  show("Sending the photo…", true);
  try {
    report(await sendPhoto(photo));
  } catch (error) {
    form.querySelector(`[data-waiting="${photo.client_id}"]`)?.remove();
    show(error.message || "The photo has not been sent: no signal. Choose it again when the "
      + "signal returns.", true);
  }
}

// Lays what this phone knows over the page: answers and photos still queued, and, on the
// service worker's copy of the page (data-offline-copy), those sent since the copy was taken.
// A page fresh from the server already has everything sent, so that record is dropped.
function apply(answer) {
  const id = answer.criterion_id;
  const box = form.querySelector(`[data-criterion="${id}"]`);
  if (!box) return;
  box.querySelectorAll(`[name="rating-${id}"]`)
    .forEach((radio) => { radio.checked = radio.value === answer.rating; });
  box.querySelector(`[name="note-${id}"]`).value = answer.note;
}

async function restore() {
  const sent = loadSent();
  const since = form.hasAttribute("data-offline-copy") ? sent[PAGE] : null;
  if (!since && sent[PAGE]) {
    delete sent[PAGE];
    storeSent(sent);
  }
  Object.values(since?.answers || {}).forEach(apply);
  load().filter((item) => mine(item) && item.url === form.dataset.answersUrl)
    .forEach((item) => apply(item.answer));
  since?.photos.forEach((p) => thumbnail(p.criterion_id, p.src, p.caption));
  for (const photo of await queuedPhotos()) {
    if (photo.url === form.dataset.photosUrl) {
      thumbnail(photo.criterion_id, URL.createObjectURL(photo.blob), photo.caption,
        photo.client_id);
    }
  }
}

if (form) {
  const timers = {};
  form.addEventListener("change", (event) => {
    if (event.target.matches("[data-photo]") && event.target.files.length) {
      event.stopImmediatePropagation();
      takePhoto(event.target);
    }
  }, true);
  form.addEventListener("change", (event) => {
    const box = event.target.closest("[data-criterion]");
    if (box && !event.target.matches("[data-photo], [name^=caption-]")) queueAnswer(box);
  });
  form.addEventListener("click", (event) => {
    const box = event.target.closest("[data-discard]")?.closest("[data-criterion]");
    if (!box) return;
    drop(Number(box.dataset.criterion));
    report();
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
  restore().then(() => (pending().length || photosWaiting ? flush() : report()));

  // A page opened before the service worker controlled it asks it to keep the page and the
  // files it loaded, so that it reopens with no signal from now on.
  if (navigator.serviceWorker && form.dataset.offlineScope) {
    navigator.serviceWorker.register("/static/js/sw.js", { scope: form.dataset.offlineScope })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => controlled || registration.active.postMessage({ keep: [
        ...performance.getEntriesByType("resource").map((entry) => entry.name),
        document.querySelector("link[rel=icon]")?.href, PAGE].filter(Boolean) }))
      .catch(() => {}); // no service worker: the checklist still works while it stays open
  }
} else if (USER && pending().length) flush();

function retry() {
  if (USER && (pending().length || photosWaiting)) flush();
}
// The signal is back: what waited for it goes now, whatever its next try said.
window.addEventListener("online", () => {
  waitNoLonger();
  if (flushing) back = true;
  flush();
});
document.addEventListener("visibilitychange", () => document.hidden || retry());
setInterval(retry, 30000);
