"""The shared vocabulary: thesauri of skills, themes and audiences, JSON-LD context."""
