// Expand an iCalendar file the way Thunderbird does (ical.js), for the tests to compare with the API.
//
// Usage: node expand_ics.mjs START END < FILE.ics   (START and END as ISO 8601 instants)
// Prints a JSON list of the occurrences starting in [START, END): uid, recurrence_id, start, end
// (UTC instants ending in Z, or dates for all-day events, the end exclusive), status and summary.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

// Every loop over the file's data is bounded: a series yields at most this many occurrences.
const MAX_OCCURRENCES = 20000;
// Moved occurrences may start in the range although their original start is outside it.
const LONGEST_MOVE_MS = 366 * 24 * 3600 * 1000;

function instant(time) {
  if (time.isDate) return time.toString();
  return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

function startsIn(time, low, high) {
  if (time.isDate) {
    const day = time.toString();
    return day >= low.toISOString().slice(0, 10) && day < high.toISOString().slice(0, 10);
  }
  const ms = time.toUnixTime() * 1000;
  return ms >= low.getTime() && ms < high.getTime();
}

function occurrence(event, item, start, end, recurrenceId) {
  return {
    uid: event.uid,
    recurrence_id: recurrenceId ? instant(recurrenceId) : null,
    start: instant(start),
    end: instant(end),
    status: item.component.getFirstPropertyValue("status") || "CONFIRMED",
    summary: item.summary,
  };
}

function expand(text, low, high) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  // Zones first: property values are read lazily, and read with the zones known at that moment.
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  const masters = new Map();
  const exceptions = [];
  for (const component of calendar.getAllSubcomponents("vevent")) {
    if (component.hasProperty("recurrence-id")) exceptions.push(component);
    else masters.set(component.getFirstPropertyValue("uid"), new ICAL.Event(component));
  }
  for (const component of exceptions) {
    masters.get(component.getFirstPropertyValue("uid")).relateException(component);
  }
  const found = [];
  const horizon = high.getTime() + LONGEST_MOVE_MS;
  for (const event of masters.values()) {
    if (!event.isRecurring()) {
      if (startsIn(event.startDate, low, high)) {
        found.push(occurrence(event, event, event.startDate, event.endDate, null));
      }
      continue;
    }
    const iterator = event.iterator();
    for (let count = 0; count < MAX_OCCURRENCES; count++) {
      const next = iterator.next();
      if (!next || next.toUnixTime() * 1000 >= horizon) break;
      const details = event.getOccurrenceDetails(next);
      if (startsIn(details.startDate, low, high)) {
        found.push(occurrence(event, details.item, details.startDate, details.endDate, next));
      }
    }
  }
  return found;
}

const [start, end] = process.argv.slice(2);
process.stdout.write(JSON.stringify(expand(readFileSync(0, "utf8"), new Date(start), new Date(end))));
