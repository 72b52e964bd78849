// Live job page: listens to the job's server-sent events and re-renders the live panel from the
// server (GET .../live) when something happened. At most one refresh is in flight; news that arrives
// meanwhile triggers one more. The page works without this file, it just does not update itself.
(function () {
  var panel = document.getElementById('job-live');
  if (!panel || panel.dataset.active !== 'true' || !window.EventSource) {
    return;
  }
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(panel.dataset.live, { headers: { 'Accept': 'text/html' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) {
          var log = panel.querySelector('.event-log');
          var scroll = log ? log.scrollTop : 0;
          panel.innerHTML = html;
          var newLog = panel.querySelector('.event-log');
          if (newLog) { newLog.scrollTop = scroll; }
        }
      })
      .catch(function () { /* the next event retries */ })
      .finally(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var source = new EventSource(panel.dataset.events);
  ['queued', 'claimed', 'step', 'epoch', 'checkpoint', 'log', 'baseline', 'metrics', 'warning', 'requeued', 'succeeded', 'failed',
    'cancelled', 'cancel-requested'].forEach(function (type) {
    source.addEventListener(type, refresh);
  });
  source.addEventListener('end', function () {
    source.close();
    // The header's cancel button goes with the job's end; reload once for the finished page.
    window.location.reload();
  });
})();
