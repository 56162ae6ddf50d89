// Pages know scripts run (CSS hides what only a script can open again, e.g. the filters).
document.documentElement.classList.add("js");

// Phones: the search filters fold behind one button that says how many cars match.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.getElementById("filters-toggle");
  const form = document.getElementById("filters");
  if (!toggle || !form) return;
  toggle.addEventListener("click", () => {
    const open = form.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
});

// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  const locate = document.getElementById("locate");
  const near = document.getElementById("near");
  const city = document.getElementById("city");
  const status = document.getElementById("locate-status");
  if (!locate || !near) return;
  if (!("geolocation" in navigator)) { locate.hidden = true; return; }
  if (city) city.addEventListener("change", () => { near.value = ""; });
  locate.addEventListener("click", () => {
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition((pos) => {
      near.value = pos.coords.latitude.toFixed(4) + "," + pos.coords.longitude.toFixed(4);
      if (city) city.value = "";
      const sort = document.querySelector("select[name=sort]");
      if (sort) sort.value = "distance";
      status.textContent = "";
      if (locate.dataset.submit !== "no") document.getElementById("filters").requestSubmit();
      else status.textContent = locate.dataset.located || "✓";
    }, () => { status.textContent = locate.dataset.denied; },
    { timeout: 8000, maximumAge: 600000 });
  });
});

// Lead inbox: a live countdown to each lead's first-contact deadline, in the page's language
// (the wording comes translated in data-left / data-late, with %(n)s for the figure).
document.addEventListener("DOMContentLoaded", () => {
  const clocks = document.querySelectorAll(".countdown[data-due]");
  if (!clocks.length) return;
  const say = (template, n) => "(" + template.replace("%(n)s", n) + ")";
  const tick = () => {
    const now = Date.now();
    clocks.forEach((el) => {
      const left = Math.round((Date.parse(el.dataset.due) - now) / 60000);
      el.classList.toggle("overdue", left < 0);
      el.textContent = left < 0 ? say(el.dataset.late, -left) : say(el.dataset.left, left);
    });
  };
  tick();
  setInterval(tick, 30000);
});

// "Find this car": show the chosen photo before it is sent (it never leaves the page otherwise).
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("input[type=file][data-preview]");
  const img = document.getElementById(input ? input.dataset.preview : "");
  if (!input || !img) return;
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (!file) { img.hidden = true; return; }
    img.src = URL.createObjectURL(file);
    img.hidden = false;
  });
});

// "Find this car": send the photo at the size the model looks at (data-downscale pixels on the
// longest side), not the camera's 12-50 MP: quicker on mobile data and cheap for the server to
// decode. Where the browser cannot, the original goes and the server shrinks it.
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("input[type=file][data-downscale]");
  if (!input || !input.form || !window.createImageBitmap || !window.DataTransfer) return;
  const side = parseInt(input.dataset.downscale, 10);
  let shrunk = false;
  input.addEventListener("change", () => { shrunk = false; });
  input.form.addEventListener("submit", async (event) => {
    const file = input.files && input.files[0];
    if (shrunk || !file) return;
    event.preventDefault();
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      if (scale < 1) {
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.9));
        if (blob) {
          const files = new DataTransfer();
          files.items.add(new File([blob], "photo.jpg", { type: "image/jpeg" }));
          input.files = files.files;
        }
      }
    } catch (err) { /* not decodable here: send the original */ }
    shrunk = true;
    input.form.requestSubmit(event.submitter || undefined);
  });
});
