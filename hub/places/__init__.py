"""Places: the tiers-lieux themselves, with address, geography, opening hours and equipment."""
