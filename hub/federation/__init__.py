"""Federation: the change feed, the source registry, the harvester, its adapters, and applying records."""
