"""Every tool server-everything lists to this library, and the arguments it is called with.

The reference server lists some tools only to clients declaring a capability: this
library declares elicitation (form and URL), not sampling, roots or tasks, so
``trigger-sampling-request*``, ``get-roots-list`` and ``trigger-elicitation-request-async``
are not offered to it. ``test_every_listed_tool_has_a_case`` fails when a new server
version lists a tool missing here.
"""

from __future__ import annotations

import base64
from typing import Any

HELLO = b"hello, everything"
HELLO_URI = "data:text/plain;base64," + base64.b64encode(HELLO).decode()

CALLS: dict[str, dict[str, Any]] = {
    "echo": {"message": "hi"},
    "get-annotated-message": {"messageType": "error", "includeImage": True},
    "get-env": {},
    "get-resource-links": {"count": 4},
    "get-resource-reference": {"resourceType": "Blob", "resourceId": 1},
    "get-structured-content": {"location": "Chicago"},
    "get-sum": {"a": 2, "b": 40},
    "get-tiny-image": {},
    # A data: URI: the default argument fetches from the internet.
    "gzip-file-as-resource": {"name": "hello.gz", "data": HELLO_URI, "outputType": "resource"},
    "toggle-simulated-logging": {},
    "toggle-subscriber-updates": {},
    "trigger-long-running-operation": {"duration": 0.3, "steps": 3},
    "trigger-elicitation-request": {},
    "trigger-url-elicitation": {"url": "https://example.com/finish", "elicitationId": "e-1"},
    "simulate-research-query": {"topic": "gateways"},
}
