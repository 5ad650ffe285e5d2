// The web demo's page: plain JS, no framework, no build step. It never sees a gateway
// token: the server knows the user from its own HttpOnly session cookie. Everything it
// shows comes from JSON events (SSE); buttons are built from the events' structured
// payloads, never from parsing text, and all text is set with textContent.
"use strict";

const $ = (id) => document.getElementById(id);
let source = null;

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, { credentials: "same-origin", ...init });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function item(kind, text) {
  const li = document.createElement("li");
  li.className = kind;
  if (text !== undefined) li.textContent = text;
  $("log").appendChild(li);
  li.scrollIntoView({ block: "nearest" });
  return li;
}

function isHttpLink(url) {
  try { return ["http:", "https:"].includes(new URL(url).protocol); } catch { return false; }
}

function authorizationCard(event) {
  const li = item("card authorization");
  li.dataset.id = event.id;
  const names = event.links.map((l) => l.name).join(", ");
  const p = document.createElement("p");
  p.textContent = `${event.tool || "A tool"} needs you to connect ${names} first.`;
  li.appendChild(p);
  const actions = document.createElement("div");
  actions.className = "actions";
  for (const link of event.links) {
    if (!isHttpLink(link.url)) continue;
    const a = document.createElement("a");
    a.className = "primary connect";
    a.href = link.url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = `Connect ${link.name}`;
    actions.appendChild(a);
    const who = document.createElement("span");
    who.className = `badge muted by-${link.authorized_by === "app" ? "app" : "gateway"}`;
    who.textContent = link.authorized_by === "app" ? "authorized by this app" : "authorized at the gateway";
    actions.appendChild(who);
  }
  const later = document.createElement("button");
  later.type = "button";
  later.className = "decline";
  later.textContent = "Not now";
  later.addEventListener("click", () => decide(li, event.id, "decline"));
  actions.appendChild(later);
  const wait = document.createElement("span");
  wait.className = "muted waiting";
  wait.textContent = "The consent page opens in a new tab; this run resumes by itself once you approve.";
  actions.appendChild(wait);
  li.appendChild(actions);
}

function approvalCard(event) {
  const li = item("card approval");
  li.dataset.id = event.id;
  const p = document.createElement("p");
  p.textContent = `Approve this call? ${event.tool} ${JSON.stringify(event.args)}`;
  li.appendChild(p);
  const actions = document.createElement("div");
  actions.className = "actions";
  for (const [label, decision, cls] of [["Approve", "approve", "primary approve"], ["Reject", "reject", "reject"]]) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = cls;
    button.textContent = label;
    button.addEventListener("click", () => decide(li, event.id, decision));
    actions.appendChild(button);
  }
  li.appendChild(actions);
}

async function decide(li, id, decision) {
  li.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  try { await api("/api/decision", { id, decision }); } catch (error) { item("error", error.message); }
}

function settle(selector, ids, text) {
  document.querySelectorAll(selector).forEach((li) => {
    if (ids && !ids.includes(li.dataset.id)) return;
    li.classList.add("done");
    li.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    li.querySelectorAll("a.connect").forEach((a) => a.remove()); // a consent link works once
    const note = li.querySelector(".waiting") || li.appendChild(document.createElement("span"));
    note.className = "muted settled";
    note.textContent = text;
  });
}

function busy(on) {
  $("status").textContent = on ? "The assistant is working…" : "";
  $("send").disabled = on;
}

function show(event) {
  switch (event.type) {
    case "snapshot":
      $("log").replaceChildren();
      event.events.forEach(show);
      busy(event.busy);
      break;
    case "user": item("user", event.text); break;
    case "answer": item("answer", event.text); break;
    case "tool_call": item("tool_call", `→ ${event.tool}(${JSON.stringify(event.args)})`); break;
    case "tool_result": {
      const li = item("tool_result");
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = `← ${event.tool}: ${event.status}`;
      const pre = document.createElement("div");
      pre.textContent = event.text;
      details.append(summary, pre);
      li.appendChild(details);
      break;
    }
    case "authorization": authorizationCard(event); break;
    case "approval": approvalCard(event); break;
    case "authorized": settle("li.card.authorization", event.ids, "Connected: resuming the run."); break;
    case "decided": settle("li.card", [event.id], { approve: "Approved.", reject: "Rejected.", decline: "Not now." }[event.choice]); break;
    case "busy": busy(true); break;
    case "idle": busy(false); break;
    case "error": item("error", event.text); break;
  }
}

function listen() {
  if (source) source.close();
  source = new EventSource("/api/events");
  source.onmessage = (message) => show(JSON.parse(message.data));
  // Refused for good (e.g. the demo restarted: a new session secret): ask who we are.
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) setTimeout(start, 1000); };
}

async function say(text) {
  if (!text.trim()) return;
  $("text").value = "";
  try { await api("/api/chat", { text }); } catch (error) { item("error", error.message); }
}

async function start() {
  const me = await api("/api/me");
  $("model").textContent = me.scripted
    ? "Model: scripted (offline, deterministic, not an LLM)"
    : `Model: ${me.model}`;
  $("worker").textContent = `worker ${me.worker}`;
  $("signin").hidden = Boolean(me.user);
  $("chat").hidden = !me.user;
  $("who").hidden = !me.user;
  if (!me.user) {
    const users = $("users");
    users.replaceChildren();
    for (const user of me.users) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "primary signin";
      button.dataset.user = user.id;
      button.textContent = `Sign in as ${user.name}`;
      button.addEventListener("click", async () => { await api("/api/login", { user: user.id }); start(); });
      users.appendChild(button);
    }
    return;
  }
  $("user-name").textContent = me.name;
  listen();
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask").addEventListener("submit", (e) => { e.preventDefault(); say($("text").value); });
  document.querySelectorAll(".hint").forEach((b) => b.addEventListener("click", () => say(b.textContent)));
  $("logout").addEventListener("click", async () => {
    if (source) source.close();
    await api("/api/logout", {});
    start();
  });
  start();
});
