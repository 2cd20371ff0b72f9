"""People: member profiles published only with consent, field by field visibility."""
