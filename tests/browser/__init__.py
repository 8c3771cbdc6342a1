"""Tests of the built book in a browser: a package, so that its conftest.py does not
shadow tests/conftest.py (both would be imported as `conftest`)."""
