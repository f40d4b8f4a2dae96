"""The `mescreen` command: wires core (analysis) and db (store) for the terminal."""
