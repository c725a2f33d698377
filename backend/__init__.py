"""TaskManager Pro backend: Lambda-deployable services. Imports nothing from the UI."""
