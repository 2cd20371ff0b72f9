"""HTTP layer: thin routers over the domain functions."""
