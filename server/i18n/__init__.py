"""What a person reads, in their language: gettext catalogues, Italian first.

Message ids are English (the source language of the code); the Italian catalogue
translates every one of them and is the default; English is a complete second locale.
`catalogues.py` loads the `.po` files, `current.py` keeps the language of the request or
command in a context variable and translates, `formats.py` writes dates, months and
times the way each language does.
"""
