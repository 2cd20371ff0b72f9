// <tiers-lieux-agenda>: the shared agenda of a network of tiers-lieux, embeddable on any site.
//   <script src="https://HUB/embed/agenda.js" type="module"></script>
//   <tiers-lieux-agenda region="75" department="23" theme="digital" place="…" lang="fr"
//                       limit="20" view="list|week|month"></tiers-lieux-agenda>
// No dependency and no framework; everything lives in its own Shadow DOM. Themable with
// --tl-accent, --tl-text, --tl-background, --tl-font, --tl-radius (and --tl-danger).
// Safety: text from sources only ever enters the page as text nodes (createElement, append,
// textContent), never through innerHTML; descriptions, the one field holding HTML, are never shown.

const HUB = new URL("..", import.meta.url); // the hub serving this script, path prefix included
const ZONE = "Europe/Paris";
const FILTERS = ["region", "department", "theme", "place"];
const VIEWS = ["list", "week", "month"];
const MOST = 3; // events a day of the month grid shows; "+N" links to the day's list for the others
const WORDS = {}; // filled in from hub/web/i18n.py when the hub serves this file
const CSS = `
:host{--a:var(--tl-accent,#0b57a4);--c:var(--tl-text,#1f2328);--b:var(--tl-background,#fff);
--r:var(--tl-radius,6px);--line:color-mix(in srgb,var(--c) 25%,var(--b));display:block;color:var(--c);
background:var(--b);font-family:var(--tl-font,system-ui,sans-serif);line-height:1.45;overflow-wrap:anywhere}
*{box-sizing:border-box}
.tl{padding:.75rem}
.bar{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:0 0 .75rem}
button{font:inherit;font-size:.9rem;min-height:2.25rem;padding:.2rem .75rem;color:var(--a);
background:var(--b);border:2px solid var(--a);border-radius:var(--r);cursor:pointer}
button[aria-pressed=true]{color:var(--b);background:var(--a)}
:focus-visible{outline:3px solid var(--a);outline-offset:2px}
[hidden]{display:none!important}
h2{font-size:1.1rem;margin:0;flex:1 1 10rem}
h3{font-size:1rem;margin:1rem 0 0;padding-bottom:.2rem;border-bottom:2px solid var(--a)}
ul{list-style:none;margin:0;padding:0}
.ev{padding:.6rem 0;border-bottom:1px solid var(--line)}
.ev>a{color:var(--a);font-weight:700;text-underline-offset:.15em}
.cancelled>a{text-decoration:line-through}
time,.where,.none{display:block;font-size:.9rem}
.badge{display:inline-block;margin-left:.4rem;padding:0 .4rem;font-size:.8rem;font-weight:700;
border:1px solid;border-radius:var(--r)}
.x{color:#fff;background:var(--tl-danger,#a4161a);border-color:var(--tl-danger,#a4161a)}
.tags li{display:inline-block;margin:.3rem .3rem 0 0;padding:0 .5rem;font-size:.8rem;
border:1px solid var(--line);border-radius:1rem}
.foot a{color:var(--a)}
.vh,.grid .full{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
.tl{container-type:inline-size}
.grid{width:100%;border-collapse:collapse;table-layout:fixed}
.grid th{font-size:.85rem;border-bottom:2px solid var(--a)}
.grid td{height:5rem;vertical-align:top;padding:.2rem;border:1px solid var(--line);font-size:.8rem}
.out{background:color-mix(in srgb,var(--c) 6%,var(--b))}
.today{outline:2px solid var(--a);outline-offset:-2px}
.grid p{margin:0;font-weight:700}
.grid time{display:inline}
.grid .ev{padding:.15rem 0;border:0}
.grid a{color:var(--a)}
.extra{display:none}
@container (max-width:36rem){.grid,tbody,tr,td{display:block}thead,.out,td:not(.has),.n,.more{display:none}
.grid td{height:auto;border:0;border-top:1px solid var(--line);font-size:.95rem}.grid .full{position:static;width:auto;height:auto;clip-path:none}.extra{display:list-item}}
`;

const h = (tag, attributes = {}, ...children) => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children); // strings become text nodes, never markup
  return element;
};
const dayOfInstant = new Intl.DateTimeFormat("sv", { timeZone: ZONE }).format; // YYYY-MM-DD in Paris
const asDate = (day) => new Date(day + "T12:00:00Z");
const shifted = (day, days, months = 0) => {
  const date = asDate(day);
  date.setUTCMonth(date.getUTCMonth() + months, date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
};
const dayOf = (o) => (o.all_day ? o.start : dayOfInstant(new Date(o.start)));
const eventUrl = (o) => new URL("events/" + encodeURIComponent(o.event?.uid || ""), HUB);
const format = (locale, options, zone = "UTC") => new Intl.DateTimeFormat(locale, { timeZone: zone, ...options });

class TiersLieuxAgenda extends HTMLElement {
  static observedAttributes = ["lang", "view", "limit", ...FILTERS];

  constructor() {
    super();
    this.shift = 0; // weeks or months away from the current one
    this.ticket = 0; // only the latest request may render
    const button = (text, click, attributes) => {
      const b = h("button", { type: "button", ...attributes }, text);
      b.addEventListener("click", click);
      return b;
    };
    this.buttons = VIEWS.map((view) => button("", () => this.setAttribute("view", view), { "aria-pressed": "false" }));
    this.previous = button("‹", () => this.move(-1));
    this.next = button("›", () => this.move(1));
    this.views = h("div", { role: "group", class: "bar" }, ...this.buttons);
    this.heading = h("h2");
    this.status = h("p", { role: "status" });
    this.body = h("div");
    this.note = h("p", { class: "note" });
    this.subscribe = h("a");
    this.box = h("div", { class: "tl" }, this.views, h("div", { class: "bar" }, this.previous, this.heading,
      this.next), this.status, this.body, this.note, h("p", { class: "foot" }, this.subscribe));
    this.attachShadow({ mode: "open" }).append(h("style", {}, CSS), this.box);
  }

  connectedCallback() {
    this.refresh();
  }

  attributeChangedCallback(name, before, after) {
    if (before === after) return;
    if (name === "view") this.shift = 0;
    if (this.isConnected) this.refresh();
  }

  get language() {
    return /^en/i.test(this.getAttribute("lang") || document.documentElement.lang) ? "en" : "fr";
  }

  get view() {
    return VIEWS.includes(this.getAttribute("view")) ? this.getAttribute("view") : "list";
  }

  t(key) {
    return WORDS[this.language]?.[key] || key;
  }

  move(step) {
    this.shift += step;
    this.refresh();
  }

  refresh() {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.load();
    });
  }

  // The first and last day the week or month view shows, in Paris.
  range() {
    const today = dayOfInstant(new Date());
    if (this.view === "week") {
      const monday = shifted(today, 7 * this.shift - ((asDate(today).getUTCDay() + 6) % 7));
      return [monday, shifted(monday, 6)];
    }
    const first = shifted(today.slice(0, 8) + "01", 0, this.shift);
    return [first, shifted(first, -1, 1)];
  }

  // The shown days within the hub's horizon (the days it holds every occurrence of), once known.
  within(range) {
    const d = this.horizon;
    return range && d ? [[range[0], d.first_day].sort()[1], [range[1], d.last_day].sort()[0]] : range;
  }

  query(path) {
    const url = new URL(path, HUB);
    for (const name of FILTERS) if (this.getAttribute(name)) url.searchParams.set(name, this.getAttribute(name));
    return url;
  }

  async load() {
    const ticket = ++this.ticket;
    const view = this.view;
    const locale = this.language === "en" ? "en-GB" : "fr-FR";
    const range = view === "list" ? null : this.range();
    const asked = this.within(range);
    const url = this.query("api/v1/occurrences");
    // Without a `limit`, the list shows as many events as the hub answers by default.
    const limit = range ? 200 : parseInt(this.getAttribute("limit"), 10);
    url.searchParams.set("lang", this.language);
    if (limit > 0) url.searchParams.set("limit", limit);
    if (range) {
      url.searchParams.set("start", asked[0]);
      url.searchParams.set("end", asked[1]);
    }
    this.chrome(view, locale, range);
    let items = [];
    try {
      for (let page = 0; page < 5 && (!range || asked[0] <= asked[1]); page++) {
        const response = await fetch(url);
        // Past the horizon: learn it and ask again for the days within it.
        if (response.status === 422 && !this.horizon && (this.horizon = (await response.json()).horizon)) {
          return this.load();
        }
        if (!response.ok) throw new Error(response.status);
        const answer = await response.json();
        this.horizon = answer.horizon;
        items = items.concat(answer.items);
        if (!range || !answer.next_cursor) break;
        url.searchParams.set("cursor", answer.next_cursor);
      }
    } catch {
      // Hub unreachable, an error answer, an unreadable body: say so, never throw into the host page.
      items = null;
    }
    const day = (d) => format(locale, { dateStyle: "long" }).format(asDate(this.horizon[d + "_day"]));
    if (ticket === this.ticket) {
      this.note.textContent = asked + "" === range + "" ? "" : this.t("horizon").replace("{first}", day("first"))
        .replace("{last}", day("last"));
      this.show(items, locale, range);
    }
  }

  // What stays in place across renders, so the focus stays on the button just pressed.
  chrome(view, locale, range) {
    this.box.lang = this.language;
    this.views.setAttribute("aria-label", this.t("views"));
    this.buttons.forEach((button, i) => {
      button.textContent = this.t(VIEWS[i]);
      button.setAttribute("aria-pressed", VIEWS[i] === view);
    });
    this.previous.hidden = this.next.hidden = !range;
    this.previous.setAttribute("aria-label", this.t("previous_" + view));
    this.next.setAttribute("aria-label", this.t("next_" + view));
    this.heading.textContent = !range
      ? this.t("upcoming")
      : view === "week"
        ? format(locale, { day: "numeric", month: "long", year: "numeric" }).formatRange(...range.map(asDate))
        : format(locale, { month: "long", year: "numeric" }).format(asDate(range[0]));
    this.subscribe.textContent = this.t("subscribe");
    this.subscribe.href = this.query("feeds/events.ics");
    this.body.setAttribute("aria-busy", "true");
    this.status.textContent = this.t("loading");
  }

  show(items, locale, range) {
    const view = this.view;
    const parts = [];
    if (items && !range && items.length) parts.push(this.list(items, locale, true, { "aria-label": this.t("agenda") }));
    if (items && range) {
      const days = new Map();
      for (const o of items) days.set(dayOf(o), [...(days.get(dayOf(o)) || []), o]);
      const heading = format(locale, { weekday: "long", day: "numeric", month: "long" });
      if (view === "month") parts.push(this.grid(days, range, locale, heading));
      for (const day of view === "week" ? [0, 1, 2, 3, 4, 5, 6].map((n) => shifted(range[0], n)) : []) {
        parts.push(h("h3", { id: "d" + day }, h("time", { datetime: day }, heading.format(asDate(day)))));
        parts.push(days.has(day)
          ? this.list(days.get(day), locale, false, { "aria-labelledby": "d" + day })
          : h("p", { class: "none" }, this.t("nothing")));
      }
    }
    this.body.replaceChildren(...parts);
    this.body.removeAttribute("aria-busy");
    this.status.textContent = !items ? this.t("unreachable") : items.length ? "" : this.t(range ? "empty_" + view : "empty");
  }

  // The month as a table of weeks, Monday first; under 36rem wide, the list of its days with events.
  grid(days, [first, last], locale, heading) {
    let day = shifted(first, -((asDate(first).getUTCDay() + 6) % 7));
    const names = h("tr");
    const rows = [names];
    for (let n = 0; day <= last; n++, day = shifted(day, 1)) {
      if (n < 7) names.append(h("th", { scope: "col" }, format(locale, { weekday: "long" }).format(asDate(day))));
      if (n % 7 === 0) rows.push(h("tr"));
      rows.at(-1).append(day < first ? h("td", { class: "out" }) : this.cell(day, days.get(day) || [], locale, heading));
    }
    while (rows.at(-1).children.length < 7) rows.at(-1).append(h("td", { class: "out" }));
    return h("table", { class: "grid" }, h("caption", { class: "vh" }, this.heading.textContent),
      h("thead", {}, names), h("tbody", {}, ...rows.slice(1)));
  }

  cell(day, items, locale, heading) {
    const td = h("td", { class: (items.length ? "has" : "") + (day === dayOfInstant(new Date()) ? " today" : "") },
      h("p", {}, h("span", { class: "n", "aria-hidden": "true" }, +day.slice(8) + ""),
        h("time", { class: "full", datetime: day }, heading.format(asDate(day)))));
    if (items.length) td.append(h("ul", {}, ...items.map((o, i) => this.entry(o, locale, i < MOST))));
    const n = items.length - MOST;
    if (n > 0) {
      const more = this.query("./");
      for (const [name, value] of [["start", day], ["end", day], ["lang", this.language]]) more.searchParams.set(name, value);
      td.append(h("a", { class: "more", href: more }, h("span", { "aria-hidden": "true" }, "+" + n),
        h("span", { class: "vh" }, this.t("more_on").replace("{n}", n).replace("{day}", heading.format(asDate(day))))));
    }
    return td;
  }

  // An event in a day of the grid, its start and title; past the first few, on narrow screens only.
  entry(o, locale, first) {
    const cancelled = o.status === "cancelled";
    return h("li", { class: (first ? "ev" : "ev extra") + (cancelled ? " cancelled" : "") },
      h("time", { datetime: o.start }, o.all_day ? this.t("all_day") : format(locale, { timeStyle: "short" }, ZONE).format(new Date(o.start))),
      " ", h("a", { href: eventUrl(o) }, o.title || this.t("untitled")), cancelled ? h("span", { class: "vh" }, " " + this.t("cancelled")) : "");
  }

  list(items, locale, withDate, attributes) {
    return h("ul", attributes, ...items.map((o) => this.item(o, locale, withDate)));
  }

  item(o, locale, withDate) {
    const event = o.event || {};
    const place = event.place || {};
    const located = event.location?.name;
    const li = h("li", { class: o.status === "cancelled" ? "ev cancelled" : "ev" },
      h("time", { datetime: o.start }, this.when(o, locale, withDate)),
      h("a", { href: eventUrl(o) }, o.title || this.t("untitled")));
    const badges = [];
    if (o.status === "cancelled") badges.push(["cancelled", "x"]);
    if (o.status === "postponed") badges.push(["postponed", ""]);
    if (o.status === "moved_online" || event.attendance_mode === "online") badges.push(["online", ""]);
    else if (event.attendance_mode === "mixed") badges.push(["mixed", ""]);
    for (const [key, kind] of badges) li.append(h("span", { class: "badge " + kind }, this.t(key)));
    // An off-site location ("hors les murs") wins over the place, which is named after it.
    const where = located
      ? [located, event.location.address?.city].filter(Boolean).join(", ") +
        (place.name && !located.includes(place.name) ? ` (${place.name})` : "")
      : [place.name, place.city].filter(Boolean).join(", ");
    if (where) li.append(h("span", { class: "where" }, where));
    const themes = (event.themes || []).map(({ label = {} }) => label[this.language] || label.und).filter(Boolean);
    if (themes.length) li.append(h("ul", { class: "tags", "aria-label": this.t("themes") }, ...themes.map((t) => h("li", {}, t))));
    return li;
  }

  when(o, locale, withDate) {
    const date = { weekday: "short", day: "numeric", month: "short" };
    if (o.all_day) {
      const days = format(locale, date);
      if (o.end && o.end !== o.start) return days.formatRange(asDate(o.start), asDate(o.end));
      return withDate ? days.format(asDate(o.start)) : this.t("all_day");
    }
    const [start, end] = [o.start, o.end || o.start].map((moment) => new Date(moment));
    const sameDay = dayOfInstant(start) === dayOfInstant(end);
    return format(locale, { hour: "2-digit", minute: "2-digit", ...(withDate || !sameDay ? date : {}) }, ZONE)
      .formatRange(start, end);
  }
}

if (!customElements.get("tiers-lieux-agenda")) customElements.define("tiers-lieux-agenda", TiersLieuxAgenda);
