"""Small tools with no knowledge of the domain: cursors, text folding, HTML cleaning, French geography."""
