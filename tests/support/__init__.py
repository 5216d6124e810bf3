"""Support code of the tests: what only the tests use (the browser check of the built book)."""
