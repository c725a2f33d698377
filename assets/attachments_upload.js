// Direct browser → S3 uploads for task attachments (presigned POST), with progress and cancel.
// The file never passes through our servers: the Reflex state asks the API for a presigned POST and then runs
// `tmpUploads.start(...)` through rx.call_script; the returned Promise settles when S3 answers (or on cancel),
// and Reflex hands its value to the state's callback. Progress goes straight into the DOM (no websocket chatter).
(function () {
  if (window.tmpUploads) return;
  const files = new Map(); // local id -> File (chosen, not yet started)
  const running = new Map(); // local id -> XMLHttpRequest

  function newId() {
    return "u" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  }

  window.tmpUploads = {
    // The files of a file input: kept here, described to the server ({local_id, name, type, size}).
    collect(inputId) {
      const input = document.getElementById(inputId);
      if (!input || !input.files) return [];
      const described = [];
      for (const file of Array.from(input.files)) {
        const id = newId();
        files.set(id, file);
        described.push({ local_id: id, name: file.name, type: file.type || "", size: file.size });
      }
      input.value = "";
      return described;
    },

    // Dropped files go through the same input, so the input's change handler picks them up.
    installDrop(zoneId, inputId) {
      const zone = document.getElementById(zoneId);
      if (!zone || zone.dataset.tmpDrop) return;
      zone.dataset.tmpDrop = "1";
      const over = (on) => (zone.dataset.over = on ? "true" : "false");
      zone.addEventListener("dragover", (e) => { e.preventDefault(); over(true); });
      zone.addEventListener("dragleave", () => over(false));
      zone.addEventListener("drop", (e) => {
        e.preventDefault();
        over(false);
        const input = document.getElementById(inputId);
        if (!input || !e.dataTransfer || !e.dataTransfer.files.length) return;
        input.files = e.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    },

    // POST the file as multipart/form-data to S3: the policy fields first, the file last (S3 requires it).
    start(spec) {
      const file = files.get(spec.local_id);
      files.delete(spec.local_id);
      if (!file) return Promise.resolve({ local_id: spec.local_id, attachment_id: spec.attachment_id, ok: false, status: 0, aborted: false });
      return new Promise((resolve) => {
        const form = new FormData();
        for (const [name, value] of Object.entries(spec.fields)) form.append(name, value);
        form.append("file", file);
        const xhr = new XMLHttpRequest();
        running.set(spec.local_id, xhr);
        const show = (loaded, total) => {
          const percent = total ? Math.floor((loaded * 100) / total) : 0;
          const bar = document.getElementById("upload-progress-" + spec.local_id);
          if (bar) { bar.value = percent; bar.setAttribute("aria-valuenow", String(percent)); }
          const label = document.getElementById("upload-percent-" + spec.local_id);
          if (label) label.textContent = percent + "%";
        };
        xhr.upload.addEventListener("progress", (e) => show(e.loaded, e.lengthComputable ? e.total : 0));
        const done = (ok, aborted) => {
          running.delete(spec.local_id);
          if (ok) show(1, 1);
          resolve({ local_id: spec.local_id, attachment_id: spec.attachment_id, ok, status: xhr.status, aborted });
        };
        xhr.addEventListener("load", () => done(xhr.status >= 200 && xhr.status < 300, false));
        xhr.addEventListener("error", () => done(false, false));
        xhr.addEventListener("abort", () => done(false, true));
        xhr.open("POST", spec.url);
        xhr.send(form);
      });
    },

    cancel(localId) {
      const xhr = running.get(localId);
      if (xhr) xhr.abort();
      files.delete(localId);
    },

    forget(localId) {
      files.delete(localId);
    },
  };
})();
