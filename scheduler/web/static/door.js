/* The door page's offline queue and camera (scheduler/web/door_pages.py says why).
 *
 * A tap makes a check-in on the phone: a client_ref (crypto.randomUUID), the phone's time, and what it names
 * (a family, a code, a walk-in). It is kept in localStorage and shown at once as waiting; the queue is sent
 * as one batch when the phone is online (now, on the `online` event, and every few seconds), and an item
 * leaves the queue only when the server has answered for it. The server keeps one check-in per client_ref,
 * so sending an item twice is harmless. Without this script every button is a plain form.
 */
(function () {
  "use strict";
  var root = document.getElementById("door");
  if (!root || !window.localStorage || !window.fetch || !window.JSON) { return; }
  var t = function (name) { return root.getAttribute("data-t-" + name) || ""; };
  var key = "fb-door-queue:" + root.getAttribute("data-event");
  var sending = false;
  var status = document.getElementById("door-sync");
  var pending = document.getElementById("door-pending");

  function load() {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(queue) { localStorage.setItem(key, JSON.stringify(queue)); }
  function newRef() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "r" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }
  function fold(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function familyRow(id) { return document.querySelector('#door-list li[data-family="' + id + '"]'); }
  function pendingRow(ref) { return document.getElementById("pending-" + ref); }

  /* Show one item's state beside its family, or in the list under the code and walk-in forms. */
  function show(item, state, text) {
    var row = item.family_id ? familyRow(item.family_id) : null;
    if (row) {
      var p = row.querySelector(".door-state");
      p.textContent = text;
      p.className = "door-state " + state;
      var button = row.querySelector("form.door-checkin button");
      if (button) { button.hidden = state !== "refused"; }
      return;
    }
    var li = pendingRow(item.client_ref);
    if (!li) {
      li = document.createElement("li");
      li.id = "pending-" + item.client_ref;
      pending.appendChild(li);
    }
    li.className = "door-state " + state;
    li.textContent = (item.label || item.code || item.walk_in_name || "") + ": " + text;
  }

  function counts(c) {
    if (!c) { return; }
    document.getElementById("count-registered").textContent = c.registered;
    document.getElementById("count-checked").textContent = c.registered_checked_in;
    document.getElementById("count-walk-ins").textContent = c.walk_ins;
  }

  function note() {
    var n = load().length;
    if (!n) { status.textContent = ""; return; }
    status.textContent = (navigator.onLine ? "" : t("offline") + " ") + t("pending").replace("%(n)s", n);
  }

  function flush() {
    var queue = load();
    note();
    if (sending || !queue.length) { return; }
    sending = true;
    var batch = queue.slice(0, 200).map(function (i) {
      var out = {client_ref: i.client_ref, checked_in_at: i.checked_in_at};
      ["code", "family_id", "walk_in_name", "adults", "children"].forEach(function (k) {
        if (i[k] !== undefined && i[k] !== "") { out[k] = i[k]; }
      });
      return out;
    });
    fetch(root.getAttribute("data-sync"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({csrf: root.getAttribute("data-csrf"), items: batch})
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (answer) {
      var answered = {};
      answer.results.forEach(function (r) {
        answered[r.client_ref] = true;
        var item = batch.filter(function (b) { return b.client_ref === r.client_ref; })[0] || {client_ref: r.client_ref};
        var label = r.check_in ? r.check_in.name : "";
        var shown = {client_ref: item.client_ref, family_id: item.family_id, code: item.code,
                     walk_in_name: item.walk_in_name, label: label};
        if (r.outcome === "refused") { show(shown, "refused", t("refused") + " " + r.reason); }
        else { show(shown, "done", r.outcome === "already" ? t("already") : t("done")); }
      });
      save(load().filter(function (i) { return !answered[i.client_ref]; }));
      counts(answer.counts);
    }).catch(function () { /* offline or the server is away: the queue stays, the next try sends it */ })
      .then(function () { sending = false; note(); });
  }

  function enqueue(item) {
    item.client_ref = newRef();
    item.checked_in_at = new Date().toISOString();
    var queue = load();
    queue.push(item);
    save(queue);
    show(item, "waiting", t("waiting"));
    flush();
  }

  document.querySelectorAll("form.door-checkin").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var kind = form.getAttribute("data-kind");
      var data = new FormData(form);
      if (kind === "family") {
        enqueue({family_id: parseInt(data.get("family_id"), 10)});
      } else if (kind === "code") {
        var code = (data.get("code") || "").trim();
        if (!code) { form.querySelector("input[name=code]").focus(); return; }
        enqueue({code: code});
        form.reset();
      } else {
        var name = (data.get("walk_in_name") || "").trim();
        if (!name) { form.querySelector("input[name=walk_in_name]").focus(); return; }
        enqueue({walk_in_name: name, adults: parseInt(data.get("adults") || "1", 10) || 0,
                 children: parseInt(data.get("children") || "0", 10) || 0});
        form.reset();
      }
    });
  });

  /* The search box filters the list as one types (the form still searches the whole school on submit). */
  var q = document.getElementById("q");
  if (q) {
    q.addEventListener("input", function () {
      var words = fold(q.value).split(/\s+/).filter(Boolean);
      document.querySelectorAll("#door-list > li").forEach(function (li) {
        var hay = li.getAttribute("data-search") || "";
        li.hidden = !words.every(function (w) { return hay.indexOf(w) >= 0; });
      });
    });
  }

  /* The camera: BarcodeDetector where the browser has it, else the vendored jsQR on canvas frames. */
  var scan = document.getElementById("scan");
  var video = document.getElementById("scan-video");
  var startButton = document.getElementById("scan-start");
  var stream = null;
  var canvas = document.createElement("canvas");
  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    startButton.textContent = startButton.getAttribute("data-label");
  }
  function found(text) {
    stop();
    enqueue({code: text});
  }
  function frame(detector) {
    if (!stream) { return; }
    if (video.readyState < 2) { setTimeout(function () { frame(detector); }, 150); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { found(codes[0].rawValue); } else { setTimeout(function () { frame(detector); }, 150); }
      }).catch(function () { setTimeout(function () { frame(null); }, 150); });
      return;
    }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    var ctx = canvas.getContext("2d", {willReadFrequently: true});
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR ? window.jsQR(image.data, image.width, image.height) : null;
    if (code && code.data) { found(code.data); } else { setTimeout(function () { frame(null); }, 200); }
  }
  if (scan && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && (window.BarcodeDetector || window.jsQR)) {
    scan.hidden = false;
    startButton.setAttribute("data-label", startButton.textContent);
    startButton.addEventListener("click", function () {
      if (stream) { stop(); return; }
      navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false}).then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        video.play();
        startButton.textContent = t("stop");
        status.textContent = t("scanning");
        var detector = null;
        if (window.BarcodeDetector) {
          try { detector = new window.BarcodeDetector({formats: ["qr_code"]}); } catch (e) { detector = null; }
        }
        frame(detector);
      }).catch(function () { status.textContent = t("no-camera"); });
    });
  }

  /* What is still queued from before a reload shows as waiting, and goes out now. */
  load().forEach(function (item) { show(item, "waiting", t("waiting")); });
  window.addEventListener("online", flush);
  window.addEventListener("offline", note);
  setInterval(flush, 5000);
  flush();
}());
