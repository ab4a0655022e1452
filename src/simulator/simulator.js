// dalal's phone simulator: every hop goes to /simulator/ussd or /simulator/voice, which relay
// it to the real gateway endpoint in that gateway's wire format (with its key, server-side).
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  mode: "ussd",
  session: null,
  inputs: [],
  ended: true,
  // Voice: what the last GetDigits asked for (null: no keys awaited).
  digits: null,
  budget: { gsm7_septets: 182, ucs2_units: 80 },
};

function newSession(prefix) {
  const random = Math.random().toString(36).slice(2, 10);
  return `${prefix}-${Date.now().toString(36)}-${random}`;
}

function status(message) {
  $("status").textContent = message || "";
}

async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try { message = JSON.parse(text).error || text; } catch (_) { /* plain text */ }
    throw new Error(`${response.status}: ${message}`);
  }
  return text;
}

function phoneId() {
  return Number($("phone-choice").value);
}

// ---- USSD -------------------------------------------------------------------------------

function showScreen(screen) {
  const el = $("screen");
  el.textContent = screen.text;
  el.classList.toggle("ended", screen.end);
  const unit = screen.encoding === "GSM-7" ? "septets" : "UCS-2 characters";
  const budget = $("budget");
  budget.classList.toggle("over", !screen.fits);
  budget.textContent =
    `${screen.characters} characters · ${screen.units}/${screen.limit} ${unit} (${screen.encoding})` +
    (screen.fits ? " · fits one page" : " · OVER the page budget") +
    (screen.end ? " · session ended" : "");
  budget.dataset.units = String(screen.units);
  budget.dataset.limit = String(screen.limit);
  budget.dataset.encoding = screen.encoding;
}

async function ussdHop() {
  const body = {
    gateway: $("gateway").value,
    phone: phoneId(),
    session: state.session,
    service_code: $("service-code").value.trim() || "*123#",
    inputs: state.inputs,
  };
  const screen = JSON.parse(await postJson("/simulator/ussd", body));
  state.ended = screen.end;
  showScreen(screen);
}

async function ussdHangUp() {
  if (state.ended || !state.session) return;
  state.ended = true;
  await postJson("/simulator/ussd", {
    gateway: $("gateway").value,
    phone: phoneId(),
    session: state.session,
    service_code: $("service-code").value.trim() || "*123#",
    inputs: state.inputs,
    hang_up: true,
  });
  $("screen").classList.add("ended");
  $("budget").textContent = "hung up";
}

// ---- Voice --------------------------------------------------------------------------------

// Reads an Africa's Talking voice document: what to play or say, and whether keys are awaited.
function readVoice(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  if (doc.getElementsByTagName("parsererror").length) throw new Error("unreadable voice document");
  const turn = { items: [], digits: null, redirect: null, dial: null, record: false };
  const collect = (parent) => {
    for (const el of parent.children) {
      if (el.tagName === "Play") turn.items.push({ play: el.getAttribute("url") });
      else if (el.tagName === "Say") turn.items.push({ say: el.textContent });
    }
  };
  for (const el of doc.documentElement.children) {
    switch (el.tagName) {
      case "GetDigits":
        turn.digits = {
          count: Number(el.getAttribute("numDigits")) || null,
          finish: el.getAttribute("finishOnKey") || "#",
          timeout: Number(el.getAttribute("timeout")) || 30,
        };
        collect(el);
        break;
      case "Play":
      case "Say":
        collect({ children: [el] });
        break;
      case "Redirect":
        turn.redirect = el.textContent.trim();
        break;
      case "Dial":
        turn.dial = el.getAttribute("phoneNumbers") || "an agent";
        break;
      case "Record":
        turn.record = true;
        collect(el);
        break;
      default:
        break;
    }
  }
  return turn;
}

function playInOrder(audios) {
  audios.forEach((audio, i) => {
    audio.addEventListener("ended", () => {
      const next = audios[i + 1];
      if (next) next.play().catch(() => {});
    });
  });
  if (audios.length) audios[0].play().catch(() => { /* autoplay refused: the controls stay */ });
}

function showVoice(turn) {
  const list = $("prompts");
  list.replaceChildren();
  const lines = [];
  const audios = [];
  for (const item of turn.items) {
    const li = document.createElement("li");
    if (item.play) {
      const audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "auto";
      audio.src = item.play;
      audios.push(audio);
      li.append(audio);
      const name = document.createElement("small");
      name.textContent = item.play.split("/").slice(-2).join("/");
      li.append(name);
      lines.push(`♪ ${name.textContent}`);
    } else {
      li.textContent = `(spoken) ${item.say}`;
      lines.push(item.say);
    }
    list.append(li);
  }
  state.digits = turn.digits;
  let note;
  if (turn.digits) note = turn.digits.count ? `press ${turn.digits.count} key(s), or end with ${turn.digits.finish}` : `type keys, end with ${turn.digits.finish}`;
  else if (turn.dial) note = `transferred to ${turn.dial}`;
  else if (turn.record) note = "recording offered (not simulated)";
  else note = "call ended";
  state.ended = !turn.digits && !turn.redirect;
  $("voice-state").textContent = `· ${note}`;
  $("screen").textContent = lines.join("\n") || "(silence)";
  $("screen").classList.toggle("ended", state.ended);
  $("budget").textContent = `${audios.length} recorded prompt(s) · ${note}`;
  playInOrder(audios);
}

async function voiceHop(extra) {
  const xml = await postJson("/simulator/voice", { phone: phoneId(), session: state.session, ...extra });
  const turn = readVoice(xml);
  showVoice(turn);
  // A redirect with no keys awaited: the platform fetches the next document at once.
  if (!turn.digits && turn.redirect) {
    const event = new URL(turn.redirect, location.href).searchParams.get("event");
    await voiceHop(event ? { event } : {});
  }
}

function stopAudio() {
  for (const audio of document.querySelectorAll("#prompts audio")) audio.pause();
}

// ---- Controls -------------------------------------------------------------------------------

async function run(action) {
  status("");
  try {
    await action();
  } catch (error) {
    status(error.message);
  }
}

function dial() {
  return run(async () => {
    stopAudio();
    state.inputs = [];
    state.ended = false;
    $("input").value = "";
    if (state.mode === "ussd") {
      state.session = newSession("sim");
      await ussdHop();
    } else {
      state.session = newSession("simv");
      await voiceHop({});
    }
  });
}

function send() {
  return run(async () => {
    if (state.ended || !state.session) throw new Error("dial first");
    const value = $("input").value.trim();
    $("input").value = "";
    if (state.mode === "ussd") {
      state.inputs.push(value);
      await ussdHop();
    } else {
      stopAudio();
      const digits = value.replace(/[#]+$/, "");
      await voiceHop(digits ? { digits } : { event: "noinput" });
    }
  });
}

function hangUp() {
  return run(async () => {
    stopAudio();
    if (state.mode === "ussd") {
      await ussdHangUp();
    } else if (state.session && !state.ended) {
      state.ended = true;
      await postJson("/simulator/voice", { phone: phoneId(), session: state.session, hang_up: true });
      $("voice-state").textContent = "· hung up";
    }
  });
}

function press(key) {
  const input = $("input");
  if (state.mode === "voice" && state.digits) {
    if (key === state.digits.finish) return send();
    input.value += key;
    if (state.digits.count && input.value.length >= state.digits.count) return send();
    return;
  }
  input.value += key;
}

function switchMode() {
  stopAudio();
  state.mode = $("mode").value;
  state.session = null;
  state.ended = true;
  $("ussd-settings").hidden = state.mode !== "ussd";
  $("voice-panel").hidden = state.mode !== "voice";
  $("screen").textContent = state.mode === "ussd" ? "Choose a phone, then dial." : "Choose a phone, then call.";
  $("budget").textContent = "";
  $("dial").textContent = state.mode === "ussd" ? "Dial" : "Call";
}

async function init() {
  const keys = $("keys");
  for (const key of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = key;
    button.dataset.key = key;
    button.addEventListener("click", () => press(key));
    keys.append(button);
  }
  $("dial").addEventListener("click", dial);
  $("send").addEventListener("click", send);
  $("hangup").addEventListener("click", hangUp);
  $("mode").addEventListener("change", switchMode);
  $("input").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      if (state.ended) dial(); else send();
    }
  });
  try {
    const directory = await (await fetch("/simulator/phones")).json();
    state.budget = directory.budget;
    $("service-code").value = directory.service_code;
    for (const phone of directory.phones) {
      const option = document.createElement("option");
      option.value = String(phone.id);
      option.textContent = `${phone.name} (${phone.language}, ${phone.phone})`;
      $("phone-choice").append(option);
    }
    for (const name of directory.gateways) {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      option.selected = name === directory.default_gateway;
      $("gateway").append(option);
    }
    document.body.dataset.ready = "true";
  } catch (error) {
    status(`cannot load the phone list: ${error.message}`);
  }
}

init();
