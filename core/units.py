"""Human-readable quantities for error messages."""


def format_bytes(size: int) -> str:
    """`5 MB`, `1.5 KB`, `900 bytes`: a limit as a person reads it, never rounded to 0."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{round(size / factor, 1):g} {unit}"
    return f"{size} bytes"
