// The live wall: puts fresh sections in place when the stream announces a new data version, and
// every minute (its clock, and what is on "now", move with the time). The sections are replaced,
// never added to: a wall left open for weeks holds one copy of them.
(() => {
  const body = document.body;
  const every = Number(body.dataset.refresh) * 1000;
  const shown = () => document.getElementById("live");
  let loading = false;
  let again = false;

  async function reload() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      do {
        again = false;
        const answer = await fetch(body.dataset.fragment, { cache: "no-store" });
        if (!answer.ok) break;
        const holder = document.createElement("template");
        holder.innerHTML = await answer.text();
        const fresh = holder.content.firstElementChild;
        if (fresh && fresh.id === "live") shown().replaceWith(fresh);
      } while (again);
    } catch {
      // Offline, or the hub restarting: the wall keeps what it shows until the next signal.
    } finally {
      loading = false;
    }
  }

  function listen() {
    const stream = new EventSource(body.dataset.stream);
    stream.addEventListener("version", (event) => {
      if (event.data !== shown().dataset.version) reload();
    });
    // A dropped stream the browser opens again by itself; a refused one (busy) is tried later.
    stream.addEventListener("error", () => {
      if (stream.readyState === EventSource.CLOSED) setTimeout(listen, every);
    });
  }

  // Reloads just after each minute begins, so the clock it shows is never a minute behind.
  function tick() {
    reload();
    setTimeout(tick, every - (Date.now() % every) + 500);
  }

  listen();
  setTimeout(tick, every - (Date.now() % every) + 500);
})();
