// The agent desk's browser softphone (templates/_softphone.html): SIP over a WebSocket to
// Asterisk with SIP.js (vendored by scripts/vendor-js.sh), media as DTLS-SRTP.  One call at
// a time: a second incoming call is refused as busy.  The panel only hands out the
// credentials (GET softphone.json); everything about the call is between the browser and
// Asterisk, so the desk's own forms (pause, log in) keep working without it.
// A classic deferred script (the panel's templates load only those); SIP.js's ES modules
// come in with import(), relative to this file.
(() => {
"use strict";
let Inviter, Registerer, RegistererState, SessionState, UserAgent;   // from SIP.js
const box = document.getElementById("softphone");
const labels = box ? JSON.parse(box.dataset.labels) : {};
const $ = (id) => document.getElementById(id);
let ua = null, registerer = null, cfg = null;
let session = null, peer = "", held = false, muted = false;

function t(id, values = {}) {
  return (labels[id] || id).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
}

function setStatus(state, text) {
  const el = $("sp-status");
  el.dataset.state = state;
  el.textContent = text;
}

function problem(text, link) {
  const el = $("sp-problem");
  el.replaceChildren(text);
  if (link) {   // the self-signed certificate of Asterisk's WebSocket port
    const p = document.createElement("p");
    const [before, after] = t("Open {link} once and accept the box's certificate (it is self-signed), then reload this page.").split("{link}");
    const a = Object.assign(document.createElement("a"), { href: link, target: "_blank", textContent: link });
    a.rel = "noopener";
    p.append(before, a, after);
    el.append(p);
  }
  el.hidden = !text;
}

function micProblem(err) {
  if (err && (err.name === "NotAllowedError" || err.name === "SecurityError")) {
    return t("The browser blocks the microphone: allow it in the address bar and reload");
  }
  if (err && (err.name === "NotFoundError" || err.name === "OverconstrainedError")) {
    return t("The browser found no microphone: connect one and reload");
  }
  return t("The call failed: {reason}", { reason: (err && (err.message || err.name)) || "?" });
}

// -- devices -------------------------------------------------------------------------------

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [id, kind] of [["sp-mic", "audioinput"], ["sp-speaker", "audiooutput"]]) {
    const select = $(id), chosen = select.value;
    const options = [new Option(t("Default"), "")];
    devices.filter((d) => d.kind === kind && d.deviceId && d.deviceId !== "default")
      .forEach((d, i) => options.push(new Option(d.label || `${kind} ${i + 1}`, d.deviceId)));
    select.replaceChildren(...options);
    select.value = options.some((o) => o.value === chosen) ? chosen : "";
  }
  const audio = $("sp-audio");
  if (typeof audio.setSinkId !== "function") {
    const speaker = $("sp-speaker");
    speaker.disabled = true;
    speaker.title = t("The speaker cannot be chosen in this browser");
  }
}

function audioConstraints() {
  const mic = $("sp-mic").value;
  return { audio: mic ? { deviceId: { exact: mic } } : true, video: false };
}

function useSpeaker() {
  const audio = $("sp-audio"), speaker = $("sp-speaker").value;
  if (typeof audio.setSinkId === "function") {
    audio.setSinkId(speaker).catch((err) => problem(micProblem(err)));
  }
}

// -- registration ----------------------------------------------------------------------------

async function start() {
  if (!navigator.mediaDevices || !window.RTCPeerConnection) {
    setStatus("error", t("Error"));
    problem(t("This browser cannot make calls (no WebRTC); use a current Chrome, Edge or Firefox"));
    return;
  }
  try {   // ask for the microphone first: a blocked one is the commonest reason calls fail
    const probe = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    probe.getTracks().forEach((track) => track.stop());
  } catch (err) {
    setStatus("error", t("Error"));
    problem(micProblem(err));
    return;
  }
  await listDevices();
  navigator.mediaDevices.addEventListener("devicechange", listDevices);
  const reply = await fetch(box.dataset.config, { credentials: "same-origin", cache: "no-store" });
  const body = await reply.json();
  if (!reply.ok) {
    setStatus("error", t("Error"));
    problem(body.error);
    return;
  }
  cfg = body;
  connect();
}

function connect() {
  setStatus("registering", t("Registering..."));
  ua = new UserAgent({
    uri: UserAgent.makeURI(`sip:${cfg.extension}@${cfg.domain}`),
    displayName: cfg.name,
    authorizationUsername: cfg.extension,
    authorizationPassword: cfg.password,
    transportOptions: { server: cfg.ws_url },
    logLevel: "error",
    sessionDescriptionHandlerFactoryOptions: {
      peerConnectionConfiguration: { iceServers: [] },   // the box and the desk share a LAN
      iceGatheringTimeout: 1000,
    },
    delegate: {
      onInvite: incoming,
      onDisconnect: (err) => {
        if (!err) return;
        wsProblem();
        setTimeout(() => ua.reconnect().then(register).catch(wsProblem), 10000);
      },
    },
  });
  ua.start().then(register).catch(wsProblem);
}

function wsProblem() {
  setStatus("error", t("Error"));
  problem(t("The softphone cannot reach the telephone system over the WebSocket."),
    cfg.ws_url.startsWith("wss:") ? cfg.status_url : null);
}

function register() {
  problem("");
  if (!registerer) {
    registerer = new Registerer(ua, { expires: 300 });
    registerer.stateChange.addListener((state) => {
      if (state === RegistererState.Registered) setStatus("ready", t("Ready"));
    });
  }
  return registerer.register({
    requestDelegate: {
      onReject: (response) => {
        setStatus("error", t("Error"));
        const m = response.message;
        problem(t("The telephone system refused the registration: {reason}",
          { reason: `${m.statusCode} ${m.reasonPhrase}` }));
      },
    },
  });
}

// -- calls -------------------------------------------------------------------------------------

function incoming(invitation) {
  if (session) {   // one call at a time
    invitation.reject({ statusCode: 486 });
    return;
  }
  const who = invitation.remoteIdentity;
  follow(invitation, who.uri.user || who.displayName || "?");
  $("sp-ringing").textContent = t("Incoming call from {number}", { number: peer });
  $("sp-incoming").hidden = false;
}

function follow(s, number) {
  session = s;
  peer = number;
  held = muted = false;
  s.stateChange.addListener((state) => {
    if (state === SessionState.Established) {
      const audio = $("sp-audio");
      audio.srcObject = s.sessionDescriptionHandler.remoteMediaStream;
      useSpeaker();
      audio.play().catch(() => {});
      $("sp-incoming").hidden = true;
      $("sp-call").hidden = false;
      showCall();
    } else if (state === SessionState.Terminated) {
      if (session === s) ended();
    }
  });
}

function showCall() {
  $("sp-call-line").textContent = held ? `${t("On hold")}: ${peer}`
    : t("In a call with {number}", { number: peer });
  $("sp-hold").textContent = held ? t("Resume") : t("Hold");
  $("sp-mute").textContent = muted ? t("Unmute") : t("Mute");
  $("sp-hold").setAttribute("aria-pressed", held);
  $("sp-mute").setAttribute("aria-pressed", muted);
}

function ended() {
  session = null;
  $("sp-audio").srcObject = null;
  $("sp-incoming").hidden = true;
  $("sp-call").hidden = true;
}

function answer() {
  if (!session || !(session.accept)) return;
  $("sp-incoming").hidden = true;
  session.accept({ sessionDescriptionHandlerOptions: { constraints: audioConstraints() } })
    .catch((err) => { problem(micProblem(err)); hangUp(); });
}

function hangUp() {
  const s = session;
  if (!s) return;
  if (s.state === SessionState.Established) {
    s.bye().catch(() => {});
  } else if (s instanceof Inviter) {
    s.cancel().catch(() => {});
  } else if (s.state === SessionState.Initial || s.state === SessionState.Establishing) {
    s.reject().catch(() => {});
  }
}

function senders(enable) {
  const pc = session && session.sessionDescriptionHandler && session.sessionDescriptionHandler.peerConnection;
  if (!pc) return;
  pc.getSenders().forEach((sender) => { if (sender.track) sender.track.enabled = enable; });
}

function toggleHold() {
  if (!session || session.state !== SessionState.Established) return;
  const want = !held;
  // a re-INVITE with sendonly (hold) or sendrecv: Asterisk plays hold music to the other side
  session.sessionDescriptionHandlerOptionsReInvite = { hold: want };
  session.invite({
    requestDelegate: {
      onAccept: () => { held = want; senders(!held && !muted); showCall(); },
    },
  }).catch((err) => problem(t("The call failed: {reason}", { reason: err.message })));
}

function toggleMute() {
  if (!session || session.state !== SessionState.Established) return;
  muted = !muted;
  senders(!held && !muted);
  showCall();
}

function sendKey(key) {
  if (!session || session.state !== SessionState.Established) return;
  const sdh = session.sessionDescriptionHandler;
  if (!sdh.sendDtmf(key, { duration: 160, interToneGap: 70 })) {   // RFC 4733, else SIP INFO
    session.info({ requestOptions: { body: { contentDisposition: "render",
      contentType: "application/dtmf-relay", content: `Signal=${key}\r\nDuration=160` } } });
  }
}

function number(input) {
  const value = input.value.replace(/[\s()-]/g, "");
  if (!/^[0-9+*#]{1,32}$/.test(value)) {
    problem(t("Enter a number: digits, + * #"));
    input.focus();
    return null;
  }
  problem("");
  return value;
}

function transfer() {
  if (!session || session.state !== SessionState.Established) return;
  const target = number($("sp-transfer"));
  if (!target) return;
  const s = session;
  s.refer(UserAgent.makeURI(`sip:${target}@${cfg.domain}`), {
    requestDelegate: { onAccept: () => { $("sp-call-line").textContent = t("Transferred"); } },
    // Asterisk reports the transfer's progress: once it has taken the caller, we leave
    onNotify: (notification) => {
      notification.accept();
      if (s.state === SessionState.Established) s.bye().catch(() => {});
    },
  }).catch((err) => problem(t("The call failed: {reason}", { reason: err.message })));
}

function dial() {
  if (session || !ua) return;
  const target = number($("sp-number"));
  if (!target) return;
  const inviter = new Inviter(ua, UserAgent.makeURI(`sip:${target}@${cfg.domain}`), {
    sessionDescriptionHandlerOptions: { constraints: audioConstraints() },
  });
  follow(inviter, target);
  $("sp-call").hidden = false;
  $("sp-call-line").textContent = t("Calling {number}...", { number: target });
  inviter.invite({
    requestDelegate: {
      onReject: (response) => problem(t("The call failed: {reason}",
        { reason: `${response.message.statusCode} ${response.message.reasonPhrase}` })),
    },
  }).catch((err) => { problem(micProblem(err)); ended(); });
}

if (box) {
  $("sp-answer").addEventListener("click", answer);
  $("sp-reject").addEventListener("click", hangUp);
  $("sp-hangup").addEventListener("click", hangUp);
  $("sp-hold").addEventListener("click", toggleHold);
  $("sp-mute").addEventListener("click", toggleMute);
  $("sp-keypad").addEventListener("click", (e) => { if (e.target.dataset.key) sendKey(e.target.dataset.key); });
  $("sp-transfer-go").addEventListener("click", transfer);
  $("sp-call-go").addEventListener("click", dial);
  $("sp-number").addEventListener("keydown", (e) => { if (e.key === "Enter") dial(); });
  $("sp-speaker").addEventListener("change", useSpeaker);
  window.addEventListener("pagehide", () => {   // the next tab registers in its place
    if (registerer) registerer.unregister().catch(() => {});
    if (ua) ua.stop();
  });
  // what the tests and a curious admin can read: the call's peer connection (getStats)
  window.jnsSoftphone = { peerConnection: () => session && session.sessionDescriptionHandler
    && session.sessionDescriptionHandler.peerConnection, state: () => session && session.state };
  import("./vendor/sip.js/lib/index.js").then((SIP) => {
    ({ Inviter, Registerer, RegistererState, SessionState, UserAgent } = SIP);
    return start();
  }).catch((err) => {
    setStatus("error", t("Error"));
    problem(t("The call failed: {reason}", { reason: err.message }));
  });
}
})();
