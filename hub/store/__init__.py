"""Storage: engine and sessions, tables, migrations, what every record has, the change log."""
