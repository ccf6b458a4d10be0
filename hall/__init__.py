"""The hall's domain: configuration, the sans-I/O engine, dispatch, estimates, the journal.

Nothing here performs network I/O or imports quart, trio networking or websockets; the
`api` package drives it.
"""
