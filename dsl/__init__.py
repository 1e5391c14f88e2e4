"""The timbra rule language: grammar, parser, typed AST, checker, formatter."""
