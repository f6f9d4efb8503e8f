"""Results of a batch and their renderings (JSON, Markdown; HTML in its own module)."""
