// The live page of bootstrap.py: no build step, no dependencies. Text from the server is
// always inserted with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

function item(list, text, key) {
  const li = document.createElement("li");
  li.textContent = text;
  if (key) li.dataset.key = key;
  list.prepend(li);
  return li;
}

// -- signing in: a session cookie, and the CSRF token every write sends ----------------
// The token comes from GET /api/csrf (request.state.csrf_token). It is bound to the session,
// so it is fetched again after signing in or out. The JWT that /login also returns is for
// API clients: the page does not keep it (a script-readable token is what XSS steals).
let csrfToken = "";
let signedIn = false;

async function refreshCsrf() {
  const response = await fetch("/api/csrf");
  csrfToken = (await response.json()).csrf_token;
}

function send(method, url, body) {
  const headers = { "x-csrf-token": csrfToken };
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

function showAccount(user) {
  signedIn = user !== null;
  $("account-status").textContent = signedIn ? `signed in as ${user}` : "signed out";
  $("login-form").hidden = signedIn;
  $("logout").hidden = !signedIn;
}

async function loadAccount() {
  const response = await fetch("/api/me");  // the session cookie, if any, answers
  const user = response.ok ? (await response.json()).user : null;
  await refreshCsrf();
  showAccount(user);
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await send("POST", "/login", {
    username: $("login-user").value,
    password: $("login-password").value,
  });
  $("login-password").value = "";
  if (response.ok) {
    const user = (await response.json()).user;
    await refreshCsrf();  // before showing "signed in": the old token was the anonymous one
    showAccount(user);
  } else {
    $("account-status").textContent = `sign-in refused (${response.status})`;
  }
});

$("logout").addEventListener("click", async () => {
  const response = await send("POST", "/logout");
  await refreshCsrf();
  if (response.ok) showAccount(null);
});

// -- notes: the list, a form, and their changes over server-sent events ----------------
async function loadNotes() {
  const response = await fetch("/api/notes?limit=100");
  for (const note of await response.json()) showNote(note);
}

function showNote(note) {
  const by = note.author ? ` (by ${note.author})` : "";
  const li = item($("notes"), `${note.title}: ${note.body}${by}`, `note-${note.id}`);
  const remove = document.createElement("button");
  remove.textContent = "delete";
  remove.addEventListener("click", () => send("DELETE", `/api/notes/${note.id}`));
  li.append(" ", remove);
}

$("note-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const note = { title: $("note-title").value, body: $("note-body").value };
  const response = await send("POST", signedIn ? "/api/me/notes" : "/api/notes", note);
  if (response.ok) $("note-form").reset();
  else item($("events"), `refused (${response.status})`);
});

const feed = new EventSource("/events/notes");
feed.addEventListener("ready", () => { $("feed-status").textContent = "live"; });
feed.addEventListener("note", (event) => {
  const change = JSON.parse(event.data);
  if (change.action === "created") {
    showNote(change.note);
    item($("events"), `created: ${change.note.title}`);
  } else if (change.action === "deleted") {
    document.querySelector(`[data-key="note-${change.id}"]`)?.remove();
    item($("events"), `deleted: note ${change.id}`);
  }
});
feed.addEventListener("error", () => { $("feed-status").textContent = "reconnecting"; });

// -- chat: a WebSocket room --------------------------------------------------------------
const room = new URLSearchParams(location.search).get("room") || "lobby";
$("chat-room").textContent = room;
const scheme = location.protocol === "https:" ? "wss://" : "ws://";
const socket = new WebSocket(`${scheme}${location.host}/ws/chat/${encodeURIComponent(room)}`);
socket.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  if (message.type === "joined") $("chat-status").textContent = "connected";
  else if (message.type === "message") item($("chat-log"), message.text);
});
socket.addEventListener("close", () => { $("chat-status").textContent = "closed"; });

$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("chat-input").value;
  if (text && socket.readyState === WebSocket.OPEN) socket.send(text);
  $("chat-input").value = "";
});

// Close both when leaving the page: a server shutting down waits for open streams.
window.addEventListener("pagehide", () => {
  feed.close();
  socket.close(1000, "page closed");
});

loadAccount();
loadNotes();
