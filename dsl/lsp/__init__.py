"""The language server of rule files (`timbra-lsp`, over stdio): the diagnostics of
`timbra rules check` as you type, hover with the manual and the quoted regulation, and
go-to-definition of codes, allowances and profiles. It knows only `dsl`, never the server.
"""
