"""What the API and the pages share at the edge: settings and sessions per request, cacheable responses."""
