// The Logs tab's live tail: new lines from the page's event stream are added as text (never as
// HTML) below the recent ones. Without JavaScript the page still shows recent lines and searches.
const box = document.querySelector('pre.log[data-stream]');
if (box && window.EventSource) {
  const status = document.getElementById('log-live');
  const events = new EventSource(box.dataset.stream);
  events.onopen = () => { if (status) status.textContent = 'Live: new lines appear below.'; };
  events.onerror = () => { if (status) status.textContent = 'Live tail interrupted; reconnecting…'; };
  events.onmessage = (event) => {
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    box.append(document.createTextNode(`${event.data}\n`));
    if (atBottom) box.scrollTop = box.scrollHeight;
  };
}
