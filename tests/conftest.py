"""Test configuration shared by the whole tree.

Its presence puts ``tests`` on ``sys.path`` in pytest's default (prepend) import mode,
so tests in any folder can import the shared helpers here, such as
``from pg_database import fresh_database_url``.
"""
