"""``python -m mcp_gateway_tools.devgateway``: run the dev gateway in the foreground."""

from __future__ import annotations

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
