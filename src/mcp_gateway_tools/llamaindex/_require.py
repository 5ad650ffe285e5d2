"""Imported first by ``mcp_gateway_tools.llamaindex``: without the ``llamaindex`` extra, the import
fails here with :class:`~mcp_gateway_tools._extras.MissingExtraError` naming the
``pip install`` to run, instead of a bare ``No module named ...``."""

from .._extras import require

require("llamaindex", "mcp_gateway_tools.llamaindex")
