"""Day results: the facts that feed the engine, loaded in one place, and the month a
person sees, computed in one place (`server.days.month`) for every page, API, report
and the month close."""
