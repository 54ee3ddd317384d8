"""daphne, where it serves HTTP (`make run`) and WebSockets (everywhere): two fixes.

Request bodies are Django's to parse. Twisted, under daphne, parses a POSTed form or
multipart body itself before the request reaches Django, and answers one it cannot parse
(the lone closing boundary of an empty form, a boundary that does not match) with a bare
"400 Bad Request": no body, no log line, no envelope. Django parses every body anyway, and
answers those in the envelope.

A socket's send buffer is bounded. daphne hands every frame the application sends to
Twisted, which keeps what the client has not read yet in memory, without limit: a client
that never reads (a frozen app, a dead network path the kernel has not noticed) made the
server's memory grow with every event pushed to it. Past STREAM_SEND_BUFFER_BYTES waiting
for one socket in the process (and as much in the kernel's send buffer, which is capped at
the same size rather than left to grow to tcp_wmem's 4 MiB), it is closed with 4408
(core/websocket.py) instead, and the connection is
dropped if the client does not answer the close within autobahn's close handshake timeout
(1 s). A client that reads slowly sees the close code; one that never reads sees the
connection reset; both reconnect and catch up over REST (docs/realtime.md).
"""

import contextlib
import logging
import socket

from core.websocket import TOO_SLOW

logger = logging.getLogger(__name__)


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


def waiting_bytes(transport) -> int:
    """Bytes written to a Twisted TCP transport and not yet handed to the kernel. Twisted
    has no public counter for it; its FileDescriptor keeps them in these three attributes
    (the same since Twisted 8). 0 for a transport that has none (e.g. TLS inside daphne)."""
    try:
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    except AttributeError:
        return 0


def bound_websocket_send_buffers(limit: int) -> None:
    """Make daphne close a WebSocket with 4408 when sending a frame would leave more than
    `limit` bytes waiting for it. Call it where daphne loads the application
    (config/asgi.py), before it accepts a connection."""
    from daphne import ws_protocol

    base = ws_protocol.WebSocketFactory.protocol
    if getattr(base, "send_buffer_limit", None) is not None:
        base.send_buffer_limit = limit
        return

    class WebSocketProtocol(base):
        send_buffer_limit = limit

        def connectionMade(self) -> None:
            super().connectionMade()
            # The kernel's send buffer is bounded too: left to autotuning it grows to
            # tcp_wmem's maximum (4 MiB on Linux) before anything waits in Twisted.
            with contextlib.suppress(AttributeError, OSError):
                self.transport.getHandle().setsockopt(
                    socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer_limit
                )

        def serverSend(self, content, binary=False) -> None:
            if self.state in (self.STATE_CLOSING, self.STATE_CLOSED):
                return  # closing (e.g. for being too slow): the frame has nowhere to go
            if self.state == self.STATE_OPEN and (
                waiting_bytes(self.transport) + len(content) > self.send_buffer_limit
            ):
                logger.warning(
                    "closing a WebSocket with %d (%s): more than %d bytes wait unread",
                    TOO_SLOW,
                    self.request.path if getattr(self, "request", None) else "?",
                    self.send_buffer_limit,
                )
                self.serverClose(code=TOO_SLOW)
                return
            super().serverSend(content, binary)

    # daphne's WebSocket factory builds every connection's protocol from this attribute.
    ws_protocol.WebSocketFactory.protocol = WebSocketProtocol
