"""daphne, where it serves HTTP (`make run`): request bodies are Django's to parse.

Twisted, under daphne, parses a POSTed form or multipart body itself before the request
reaches Django, and answers one it cannot parse (the lone closing boundary of an empty form,
a boundary that does not match) with a bare "400 Bad Request": no body, no log line, no
envelope. Django parses every body anyway, and answers those in the envelope.
"""


def leave_request_bodies_to_django() -> None:
    """Make daphne build requests with Twisted's form parsing off. Call it where daphne loads
    the application (config/asgi.py), before it accepts a connection."""
    from daphne import http_protocol

    if getattr(http_protocol.WebRequest, "leaves_bodies_to_django", False):
        return

    class WebRequest(http_protocol.WebRequest):
        leaves_bodies_to_django = True

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **{**kwargs, "parsePOSTFormSubmission": False})

    # daphne's HTTP factory looks this name up for every connection it accepts.
    http_protocol.WebRequest = WebRequest
