"""Records and rules, no I/O: awards, events, prizes, stats, languages, the clock. Imports nothing else of tagback."""
