"""Pure Block Kit builders: state in, blocks (plain dicts) out. No I/O."""
