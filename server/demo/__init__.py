"""Demo data for `make run`: people, badges, terminals and a month of stamps."""
