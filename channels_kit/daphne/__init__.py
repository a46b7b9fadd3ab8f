"""Everything a daphne process wraps around the channel layer it serves."""
