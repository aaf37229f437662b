"""Project-wide pieces that every package shares (kept free of project imports, so nothing cycles):
kws.cli (one error path and argument types for every command line)."""
