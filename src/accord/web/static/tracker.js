/* Accord website tracker: visits and form submissions go to the Accord serving this file.
   Forms with a password field or data-accord-ignore are never read. */
(function () {
  var d = document, me = d.currentScript;
  if (!me || !window.URLSearchParams) return;
  var endpoint = new URL("/t/collect", me.src).href;

  function id() {
    var b = crypto.getRandomValues(new Uint8Array(16)), s = "";
    for (var i = 0; i < 16; i++) s += (b[i] + 256).toString(16).slice(1);
    return s;
  }

  var found = d.cookie.match(/(?:^|; )accord_vid=([\w-]{8,64})/), visitor = found ? found[1] : id();
  d.cookie = "accord_vid=" + visitor + "; Max-Age=31536000; Path=/; SameSite=Lax" +
    (location.protocol === "https:" ? "; Secure" : "");

  function send(event) {
    event.event_id = id();
    event.visitor_id = visitor;
    event.url = location.href;
    var body = JSON.stringify(event);
    // text/plain: a "simple" request, no preflight; a beacon survives leaving the page.
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], {type: "text/plain"})))) {
      fetch(endpoint, {method: "POST", body: body, keepalive: true, headers: {"Content-Type": "text/plain"}})
        .catch(function () {});
    }
  }

  var query = new URLSearchParams(location.search), visit = {type: "visit"}, tagged = false, away = false;
  ["source", "medium", "campaign", "content", "term"].forEach(function (k) {
    var v = query.get("utm_" + k);
    if (v) { visit["utm_" + k] = v.slice(0, 200); tagged = true; }
  });
  if (d.referrer) {
    visit.referrer = d.referrer.slice(0, 2000);
    try { away = new URL(d.referrer).host !== location.host; } catch (e) { away = true; }
  }
  // One visit per arrival: a new session, or another campaign or site mid-session; not a reload.
  var arrival = tagged || away ? JSON.stringify(visit) : "", last = null;
  try {
    last = sessionStorage.getItem("accord_s");
    if (arrival || last === null) sessionStorage.setItem("accord_s", arrival);
  } catch (e) {}
  if (last === null || arrival && arrival !== last) send(visit);

  function value(form, selector) {
    var field = form.querySelector(selector);
    return field ? String(field.value || "").trim() : "";
  }

  d.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f.querySelector || f.hasAttribute("data-accord-ignore") || f.querySelector("[type=password]")) return;
    var fields = {
      email: value(f, "input[type=email],[name=email]"),
      phone: value(f, "input[type=tel],[name=phone]"),
      name: value(f, "[name=name],[name=full_name]") ||
        (value(f, "[name=first_name]") + " " + value(f, "[name=last_name]")).trim(),
      instagram: value(f, "[name=instagram],[name=handle]"),
      message: value(f, "[name=message]")
    };
    for (var k in fields) if (!fields[k]) delete fields[k];
    var form = (f.getAttribute("id") || f.getAttribute("name") || "").slice(0, 200);
    if (fields.email || fields.phone || fields.instagram) send({type: "form_submit", form: form, fields: fields});
  }, true);
})();
