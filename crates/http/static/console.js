// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Search as you type: fetch the rows of the member list for the current
  // filters and swap them in; the form still submits normally without JS.
  var form = document.querySelector("form[data-live-search]");
  var results = document.getElementById("results");
  if (form && results) {
    var timer = null;
    var refresh = function () {
      var params = new URLSearchParams(new FormData(form));
      params.set("partial", "1");
      fetch(form.action + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          results.innerHTML = html;
          params.delete("partial");
          history.replaceState(null, "", form.action + "?" + params.toString());
        })
        .catch(function () {});
    };
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 200);
    });
  }
  // Character counters for fields with a limit (the description: 250).
  document.querySelectorAll("textarea[data-count]").forEach(function (area) {
    var out = document.getElementById(area.getAttribute("aria-describedby"));
    var max = parseInt(area.getAttribute("data-count"), 10);
    var show = function () {
      var used = Array.from(area.value).length;
      out.textContent = used + " of " + max + " characters";
    };
    area.addEventListener("input", show);
    show();
  });
  // Drag and drop: a file dropped anywhere on a page with an upload form is
  // uploaded at once (the preview comes next; nothing is imported before
  // the admin applies it). Without this the browser would leave the page to
  // show the file.
  document.querySelectorAll("form[data-drop]").forEach(function (upload) {
    var zone = upload.querySelector(".dropzone");
    var input = upload.querySelector("input[type=file]");
    if (!zone || !input) return;
    ["dragenter", "dragover"].forEach(function (t) {
      document.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      document.addEventListener(t, function () { zone.classList.remove("over"); });
    });
    document.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        zone.textContent = "Uploading " + e.dataTransfer.files[0].name + "…";
        upload.requestSubmit();
      }
    });
  });
  // Live progress: a table body with data-live is fetched again every
  // second and a half while something in it runs, without reloading the page.
  document.querySelectorAll("tbody[data-live]").forEach(function (body) {
    var url = body.getAttribute("data-live");
    var poll = function () {
      if (!body.hasAttribute("data-running")) return;
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          body.innerHTML = html;
          if (!body.querySelector("[data-running]")) body.removeAttribute("data-running");
          setTimeout(poll, 1500);
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1500);
  });
  // The members list's export takes the filters as they are now (search as
  // you type changes them without reloading the page).
  var exportForm = document.querySelector("form[data-export-filter]");
  if (exportForm && form) {
    exportForm.addEventListener("submit", function () {
      new FormData(form).forEach(function (value, key) {
        var hidden = exportForm.querySelector("input[name='filter_" + key + "']");
        if (hidden) hidden.value = value;
      });
    });
  }
})();
