// Progressive enhancements; every page also works without this file.

// The upload form asks the server for a CSV's header to list its columns. Only the header row is
// needed, so send the first 64 KB of the chosen file, not all of it.
document.addEventListener('htmx:configRequest', function (e) {
  var input = e.detail.elt;
  if (input.id !== 'file' || !input.files || input.files.length === 0) {
    return;
  }
  var file = input.files[0];
  e.detail.formData.set('file', file.slice(0, 65536), file.name);
});
