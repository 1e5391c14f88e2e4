"""The policy model: a rule file compiled into versions in force from a date."""
