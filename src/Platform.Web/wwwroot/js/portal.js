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

// The content security policy allows no inline handlers, so the markup says what it wants with
// data attributes and this file wires them up. Without JavaScript each form still posts.

// data-confirm on a form (asked on submit) or on a submit button (asked on click).
document.addEventListener('submit', function (e) {
  var message = e.target.getAttribute && e.target.getAttribute('data-confirm');
  if (message && !window.confirm(message)) {
    e.preventDefault();
  }
}, true);
document.addEventListener('click', function (e) {
  var button = e.target.closest && e.target.closest('button[data-confirm], input[data-confirm]');
  if (button && !window.confirm(button.getAttribute('data-confirm'))) {
    e.preventDefault();
  }
}, true);

// data-copy="id": copies that field's value and says so on the button.
document.addEventListener('click', function (e) {
  var button = e.target.closest && e.target.closest('[data-copy]');
  if (!button) {
    return;
  }
  var field = document.getElementById(button.getAttribute('data-copy'));
  if (field && navigator.clipboard) {
    navigator.clipboard.writeText(field.value);
    button.textContent = 'Copied';
  }
});

// data-select-on-focus: a read-only field whose whole value is selected when focused (keys, links).
document.addEventListener('focusin', function (e) {
  if (e.target.hasAttribute && e.target.hasAttribute('data-select-on-focus')) {
    e.target.select();
  }
});

// data-autosubmit: a select that submits its form when changed (the organisation switcher).
document.addEventListener('change', function (e) {
  if (e.target.hasAttribute && e.target.hasAttribute('data-autosubmit') && e.target.form) {
    e.target.form.requestSubmit();
  }
});

// data-drawer-toggle="id": the app bar's menu button on a phone. MudBlazor's responsive drawer hides
// itself below its breakpoint on the first render (mud-drawer--initial); opening it drops that class
// and slides it over the page, with a scrim that closes it again (as does Escape).
(function () {
  function drawerParts(id) {
    return {
      drawer: document.getElementById(id),
      scrim: document.querySelector('[data-drawer-close="' + id + '"]'),
      button: document.querySelector('[data-drawer-toggle="' + id + '"]'),
    };
  }
  function setOpen(id, open) {
    var parts = drawerParts(id);
    if (!parts.drawer) {
      return;
    }
    parts.drawer.classList.remove('mud-drawer--initial');
    parts.drawer.classList.toggle('mud-drawer--open', open);
    parts.drawer.classList.toggle('mud-drawer--closed', !open);
    if (parts.scrim) {
      parts.scrim.hidden = !open;
    }
    if (parts.button) {
      parts.button.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
  }
  document.addEventListener('click', function (e) {
    var toggle = e.target.closest && e.target.closest('[data-drawer-toggle]');
    if (toggle) {
      var id = toggle.getAttribute('data-drawer-toggle');
      setOpen(id, toggle.getAttribute('aria-expanded') !== 'true');
      return;
    }
    var close = e.target.closest && e.target.closest('[data-drawer-close]');
    if (close) {
      setOpen(close.getAttribute('data-drawer-close'), false);
    }
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') {
      document.querySelectorAll('[data-drawer-toggle][aria-expanded="true"]').forEach(function (button) {
        setOpen(button.getAttribute('data-drawer-toggle'), false);
      });
    }
  });
})();

// data-preview="id" on a file input: shows the chosen image in that <img> before it is sent.
document.addEventListener('change', function (e) {
  var input = e.target;
  var id = input.getAttribute && input.getAttribute('data-preview');
  var image = id && document.getElementById(id);
  if (!image) {
    return;
  }
  if (image.src && image.src.indexOf('blob:') === 0) {
    URL.revokeObjectURL(image.src);
  }
  if (input.files && input.files.length > 0) {
    image.src = URL.createObjectURL(input.files[0]);
    image.hidden = false;
  } else {
    image.hidden = true;
  }
});

// data-mirror="id" on a range input: keeps that number field equal to it (the threshold control).
document.addEventListener('input', function (e) {
  var id = e.target.getAttribute && e.target.getAttribute('data-mirror');
  var field = id && document.getElementById(id);
  if (field) {
    field.value = e.target.value;
  }
});
