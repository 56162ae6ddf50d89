// The tower's kiosk: booking code → camera → 3 frames across the head turn → release.
// Frames go straight to the server and are never kept (in the page or there).
document.addEventListener("DOMContentLoaded", () => {
  // the booking page: send the browser's offset with the local collection time
  const tz = document.querySelector("[data-tz-offset]");
  if (tz) tz.value = String(new Date().getTimezoneOffset());
  const root = document.getElementById("kiosk");
  if (!root) return;
  const say = (id, text) => { document.getElementById(id).textContent = text; };
  const video = document.getElementById("kiosk-video");
  const canvas = document.getElementById("kiosk-canvas");
  const frames = parseInt(root.dataset.frames, 10) || 3;
  let drive = null;

  document.getElementById("kiosk-code").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = event.target.code.value.trim();
    const r = await fetch("/kiosk/lookup?code=" + encodeURIComponent(code), { credentials: "same-origin" });
    const body = await r.json();
    if (!r.ok) { say("kiosk-result", body.detail || body.code); return; }
    drive = body;
    say("kiosk-instruction", body.challenge === "turn_right" ? root.dataset.turnRight : root.dataset.turnLeft);
    document.getElementById("kiosk-capture").hidden = false;
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    } catch (e) { say("kiosk-result", root.dataset.noCamera); }
  });

  const grab = () => new Promise((resolve) => {
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(resolve, "image/jpeg", 0.9);
  });

  const poll = async () => {
    const r = await fetch("/kiosk/drives/" + drive.id + "/status", { credentials: "same-origin" });
    const body = await r.json();
    if (body.status === "review") { setTimeout(poll, 3000); return; }
    say("kiosk-result", body.status === "out" ? root.dataset.released : root.dataset.refused);
  };

  document.getElementById("kiosk-start").addEventListener("click", async () => {
    const form = new FormData();
    form.append("csrf_token", document.getElementById("kiosk-csrf").value);
    for (let i = 0; i < frames; i++) {  // frontal first, then across the turn
      form.append("selfie", await grab(), "frame" + i + ".jpg");
      await new Promise((r) => setTimeout(r, 700));
    }
    const r = await fetch("/kiosk/drives/" + drive.id + "/release", {
      method: "POST", body: form, credentials: "same-origin",
    });
    const body = await r.json();
    if (r.ok && body.status === "released") say("kiosk-result", root.dataset.released);
    else if (r.ok && body.status === "review") { say("kiosk-result", root.dataset.review); setTimeout(poll, 3000); }
    else say("kiosk-result", body.detail || root.dataset.refused);
  });
});
