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

// -- notes: the list, a form, and their changes over server-sent events ----------------
async function loadNotes() {
  const response = await fetch("/api/notes?limit=100");
  for (const note of await response.json()) showNote(note);
}

function showNote(note) {
  const li = item($("notes"), `${note.title}: ${note.body}`, `note-${note.id}`);
  const remove = document.createElement("button");
  remove.textContent = "delete";
  remove.addEventListener("click", () => fetch(`/api/notes/${note.id}`, { method: "DELETE" }));
  li.append(" ", remove);
}

$("note-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const note = { title: $("note-title").value, body: $("note-body").value };
  const response = await fetch("/api/notes", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(note),
  });
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

loadNotes();
