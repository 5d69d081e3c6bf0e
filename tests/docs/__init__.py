"""Tests of the documentation site (mkdocs.yml, docs/) and of the README's links."""
