"""The two-user web demo, started from Python: ``python examples/webapp/app.py``.

Same as ``mcp-gateway-tools demo --web``. The app itself ships inside the package
(``mcp_gateway_tools/demo/web/``) so the command works from a pip install too; this
directory is the readable entry point, and README.md here says which file does what.
Open the URL it prints, sign in as Alice in one window and as Bob in another (or a
private window), and ask "list my mail".
"""

from __future__ import annotations

import sys

from mcp_gateway_tools.demo.web import run_web_demo

if __name__ == "__main__":
    # workers=2 serves the same runs from two processes on two ports (see docs/webapp.md)
    sys.exit(run_web_demo(port=8765, workers=1))
