"""Developer tools that live in the repository but are not shipped in the wheel."""
