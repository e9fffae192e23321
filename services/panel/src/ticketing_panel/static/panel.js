// The panel's live parts; every page works without them.
// 1. The bell: the unread count follows the panel's own notification stream (the session
//    cookie authenticates it; no token in any URL).
//    On a ticket's page, news of that ticket shows a link to see it.
// 2. Upload progress on forms with files.
(function () {
  "use strict";
  var PERSIAN = "۰۱۲۳۴۵۶۷۸۹";
  function fa(n) {
    return String(n).replace(/[0-9]/g, function (d) { return PERSIAN[Number(d)]; });
  }

  var bell = document.querySelector("[data-bell]");
  if (bell && window.EventSource) {
    var badge = bell.querySelector("[data-bell-count]");
    var count = 0;
    var shown = (badge.textContent || "").replace(/[۰-۹]/g, function (d) { return PERSIAN.indexOf(d); });
    count = parseInt(shown, 10) || 0;
    var source = new EventSource(bell.getAttribute("data-stream"));
    source.onmessage = function (event) {
      var item;
      try { item = JSON.parse(event.data); } catch (e) { return; }
      if (item && item.read === false) {
        count += 1;
        badge.textContent = fa(count);
        bell.classList.add("has-unread");
      }
      var notice = document.querySelector("[data-live-notice]");
      if (item && notice && notice.getAttribute("data-ticket") === item.ticket_id) {
        notice.hidden = false;
      }
    };
  }

  // The chosen files' names, in the page's own words (the native input is hidden).
  Array.prototype.forEach.call(document.querySelectorAll("input.file-input"), function (input) {
    var names = input.parentNode.querySelector("[data-file-names]");
    if (!names) return;
    input.addEventListener("change", function () {
      var chosen = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
      names.textContent = chosen.length
        ? fa(chosen.length) + " فایل: " + chosen.join("، ")
        : "هنوز فایلی انتخاب نشده است.";
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), function (form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      var progress = form.querySelector("[data-progress]");
      if (!input || !input.files || !input.files.length || !progress || !window.FormData) return;
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      progress.hidden = false;
      request.upload.onprogress = function (e) {
        if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100);
      };
      request.onload = function () {
        // The panel answered with a page (after its redirect): show it as a navigation would.
        if (request.responseURL && request.status === 200) {
          window.location.assign(request.responseURL);
        } else {
          document.open();
          document.write(request.responseText);
          document.close();
        }
      };
      request.onerror = function () { form.submit(); };
      request.send(new FormData(form));
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    });
  });
})();
