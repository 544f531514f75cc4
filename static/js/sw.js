// Lets the QA-visit checklist reopen with no signal, after a reload or a closed tab.
// Registered by checklist.js with the scope of the visit pages. It keeps only two things:
// - the latest good copy of each checklist page opened (network first, the copy when the
//   network fails or is too slow), and
// - the portal's own static files (answered from the cache, refreshed in the background).
// Everything else passes straight through to the network and is never stored.
const PAGES = "qa-portal-pages-v1";
const ASSETS = "qa-portal-assets-v1";
const STATIC = new URL("..", location.href).pathname; // this file lives in <static>/js/
const CHECKLIST = /\/visits\/\d+\/checklist\/\d+$/;
const SLOW_MS = 6000;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil((async () => {
  for (const name of await caches.keys()) {
    if (name.startsWith("qa-portal-") && name !== PAGES && name !== ASSETS) await caches.delete(name);
  }
  await self.clients.claim(); // a page opened before this worker existed can go offline too
})()));

const key = (url) => { const u = new URL(url, location.href); return u.origin + u.pathname; };

// Signed-in pages are sent with "Cache-Control: no-store" so that no browser or shared cache
// keeps them. The checklist pages are the one deliberate exception: the visit has to go on
// with no signal, so their latest copy is put in Cache Storage explicitly. Only a plain 200
// is kept (never a redirect to the sign-in page, never an error); a refusal or a lost session
// removes the copy, and signing out (portal.js) deletes these caches altogether.
async function keepPage(url, response) {
  const cache = await caches.open(PAGES);
  if (response.status === 200 && response.type === "basic" && !response.redirected) {
    await cache.put(key(url), response);
  } else if (response.type === "opaqueredirect" || response.redirected
    || [401, 403, 404, 410].includes(response.status)) {
    await cache.delete(key(url));
  }
}

// The copy is marked on its <form data-checklist>, so checklist.js knows to lay over it the
// answers and photos sent since it was taken.
async function copyOf(url) {
  const cached = await caches.match(key(url), { cacheName: PAGES });
  if (!cached) return null;
  const html = (await cached.text())
    .replace(/<form\b(?=[^>]*\bdata-checklist\b)/, "<form data-offline-copy");
  const headers = new Headers(cached.headers);
  headers.delete("Content-Length");
  return new Response(html, { status: 200, headers });
}

const offline = () => new Response("<!DOCTYPE html><html lang=\"en-GB\"><meta charset=\"utf-8\">"
  + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
  + "<title>No signal - AP QA Portal</title><h1>No signal</h1><p>This part of the checklist has "
  + "not been opened on this phone yet, so it cannot be shown without a signal. Go back to a "
  + "part you have opened, or try again when the signal returns.</p><p>Answers you have given "
  + "are kept on this phone and send when the signal returns.</p></html>", {
  status: 503,
  headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'" },
});

async function checklistPage(event) {
  const url = event.request.url;
  const network = fetch(event.request).then((response) => {
    event.waitUntil(keepPage(url, response.clone()));
    return response;
  });
  event.waitUntil(network.catch(() => null));
  // A weak signal can take a minute to fail: after SLOW_MS show the copy, if there is one
  // (the network answer, when it comes, still refreshes the copy for next time).
  const slow = new Promise((done) => setTimeout(done, SLOW_MS))
    .then(() => copyOf(url)).then((copy) => copy || network);
  try {
    const response = await Promise.race([network, slow]);
    // A server or gateway error in the field: the copy is more use than an error page.
    return response.status >= 500 ? (await copyOf(url)) || response : response;
  } catch {
    return (await copyOf(url)) || offline();
  }
}

async function asset(event) {
  const cache = await caches.open(ASSETS);
  const cached = await cache.match(event.request);
  const fresh = fetch(event.request).then((response) => {
    if (response.status === 200 && response.type === "basic") {
      event.waitUntil(cache.put(event.request, response.clone()));
    }
    return response;
  });
  event.waitUntil(fresh.catch(() => null));
  return cached || fresh;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin) return;
  if (request.mode === "navigate" && CHECKLIST.test(url.pathname)) {
    event.respondWith(checklistPage(event));
  } else if (url.pathname.startsWith(STATIC)) {
    event.respondWith(asset(event));
  }
});

// A page opened before this worker controlled it asks for itself and the files it loaded to
// be kept, so it can reopen offline straight away. Files first: the page is kept last.
self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.keep) || [];
  event.waitUntil((async () => {
    for (const url of urls) {
      const { origin, pathname: path } = new URL(url, location.href);
      if (origin !== location.origin) continue;
      try {
        if (CHECKLIST.test(path)) {
          // Not following a redirect: the sign-in page is not for the worker to fetch.
          await keepPage(url, await fetch(url, { cache: "no-store", redirect: "manual" }));
        } else if (path.startsWith(STATIC)) {
          const response = await fetch(url);
          if (response.status === 200) await (await caches.open(ASSETS)).put(url, response);
        }
      } catch {
        // no signal: nothing to keep this time
      }
    }
  })());
});
