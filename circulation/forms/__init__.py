"""Forms of the circulation pages: they parse and check input; services decide."""
