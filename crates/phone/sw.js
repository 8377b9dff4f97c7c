// The phone app's service worker. Its scope is /telefoon/ only: the
// portal's own pages never pass through it. It keeps a copy of what the
// app loads, so that the app opens, and shows its codes, without a network;
// and it shows the portal's Web Push messages, which say only which
// sign-in waits, as a notification that opens the app on that sign-in.
"use strict";

const COPIES = "aanmelden-telefoon-1";

// The notification's texts, in the app's language: the app registers this
// worker with them in its address.
const TEXTS = new URL(self.location.href).searchParams;

self.addEventListener("install", () => self.skipWaiting());

// Copies of older versions of this worker go.
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("aanmelden-telefoon-") && name !== COPIES)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

// The message is `{"challenge": "<id>"}` (or unreadable: then the app opens
// on its list). One notification at a time: a newer sign-in replaces it.
self.addEventListener("push", (event) => {
  let challenge = null;
  try {
    const id = event.data && event.data.json().challenge;
    challenge = typeof id === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
  } catch (_) {
    challenge = null;
  }
  event.waitUntil(
    self.registration.showNotification(TEXTS.get("title") || "Aanmelden", {
      body: TEXTS.get("body") || "",
      tag: "sign-in",
      renotify: true,
      requireInteraction: true,
      icon: "icon-192.png",
      data: { challenge },
    }),
  );
});

// The app on the sign-in: an open window of the app goes there, else a new
// one opens.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const challenge = event.notification.data && event.notification.data.challenge;
  const target = new URL(
    challenge ? "./?challenge=" + encodeURIComponent(challenge) : "./",
    self.registration.scope,
  ).href;
  event.waitUntil(
    self.clients
      .matchAll({ type: "window" })
      .then((open) => {
        const app = open.find((client) => client.url.startsWith(self.registration.scope));
        return app && "navigate" in app
          ? app.focus().then(() => app.navigate(target))
          : self.clients.openWindow(target);
      })
      .catch(() => self.clients.openWindow(target)),
  );
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
        // One copy a file, whatever its address asks (?challenge=…).
        if (response.ok) {
          const copy = response.clone();
          const file = url.origin + url.pathname;
          event.waitUntil(caches.open(COPIES).then((cache) => cache.put(file, copy)));
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
