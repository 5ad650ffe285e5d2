"""Benchmarks of mcp-gateway-tools beside raw clients and peer integrations.

    make bench                       # = .venv/bin/python -m benchmarks
    .venv/bin/python -m benchmarks --quick --out /tmp/bench     # seconds

Against a fastmcp echo server in its own process (:mod:`benchmarks.server`), at
loopback and at injected round-trip times, contenders alternating round by round
(:mod:`benchmarks.contenders` lists them, :mod:`benchmarks.steps` measures,
:mod:`benchmarks.report` turns the data and the table of targets into
docs/benchmarks.md, its plots and the README block):

1. at each distance: a new user's first call, a warm call, an agent turn of 3 tool calls;
2. round trips (requests and new connections) per first call, warm call and turn;
3. the warm-call overhead through LangChain against the thinnest StructuredTool, profiled;
4. 10,000 identities (Zipf popularity, rotating tokens) through one process;
5. many new users at once; 6. tool loading; 7. warm calls through the dev gateway.
"""
