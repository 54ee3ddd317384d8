"""Redis URLs: which database one names, and the same server with another database. Used by
settings (the broker's database beside the cache's), the tests' brokers and the
benchmarks'; no Django here, so that anything may import it before settings load."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server with another database number (a `?db=` would win over it)."""
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "db"])
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", query, parts.fragment))


def redis_db_number(url: str) -> int:
    """The database a Redis URL names, as redis-py reads it: `?db=`, else the path, else 0."""
    parts = urlsplit(url)
    return int(dict(parse_qsl(parts.query)).get("db") or parts.path.strip("/") or 0)
