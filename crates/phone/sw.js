// The phone app's service worker. Its scope is /telefoon/ only: the
// portal's own pages never pass through it. It keeps a copy of what the
// app loads, so that the app opens, and shows its codes, without a network.
"use strict";

const COPIES = "aanmelden-telefoon-1";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

// The network first, so that a new build is taken up at once; the copy
// when there is no network. Only the app's own files are copied: never
// the portal's answers, which come from /api/.
self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (
    request.method !== "GET" ||
    url.origin !== self.location.origin ||
    !url.pathname.startsWith("/telefoon/")
  ) {
    return;
  }
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(
            caches.open(COPIES).then((cache) => cache.put(request, copy)),
          );
        }
        return response;
      })
      .catch(() =>
        caches
          .match(request, { ignoreSearch: true })
          .then((copy) => copy || Response.error()),
      ),
  );
});
