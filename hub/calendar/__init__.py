"""Calendar code: dates and zones, recurrence expansion, iCalendar and RSS feeds."""
