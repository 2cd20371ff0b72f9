"""Bearer tokens: issued by `hub tokens create`, kept only as hashes."""
