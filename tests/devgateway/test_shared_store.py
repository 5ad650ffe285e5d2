"""Each run keeps its own grants; a shared grant file never loses a running instance's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.devgateway._store import Grant, GrantStore


def _mail_works(dev: DevGateway, user: str) -> bool:
    gateway = Gateway(dev.base_url)
    try:
        names = [t.name for t in gateway.list_tools_sync("mail", token=dev.tokens.user(user))]
    finally:
        gateway.close()
    return "list_messages" in names


def test_by_default_each_instance_has_its_own_grant_file() -> None:
    with DevGateway() as first, DevGateway() as second:
        assert first.store_path != second.store_path
        first.consent("alice", "mail")
        assert second.grants() == []
        assert first.grants() == [("alice@example.com", "mail")]


def test_starting_a_second_instance_on_a_shared_file_keeps_the_first_ones_grants(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "grants.sqlite3"
    with DevGateway(store_path=shared) as first:
        first.consent("alice", "mail")
        with DevGateway(store_path=shared) as second:
            assert second.store_path == first.store_path == str(shared)
            assert first.grants() == [("alice@example.com", "mail")]
            assert second.grants() == []  # the first one's provider tokens are not its own
            second.consent("bob", "mail")
            assert _mail_works(first, "alice")
        assert first.grants() == [("alice@example.com", "mail")]  # second stopped: kept
        assert _mail_works(first, "alice")


def test_a_dead_instances_grants_are_pruned_at_start(tmp_path: Path) -> None:
    shared = tmp_path / "grants.sqlite3"
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_owner = f"builtin:{int(done.stdout)}:deadbeef"
    store = GrantStore(shared, owners={"mail": dead_owner})
    store.put(Grant("carol@example.com", "mail", "stale", None, 0.0, "mail.read"))
    assert store.list() == [("carol@example.com", "mail")]
    store.close()
    with DevGateway(store_path=shared):
        pass
    survivor = GrantStore(shared, owners={"mail": dead_owner})
    assert survivor.list() == []
    survivor.close()


def test_the_cli_banner_says_where_this_runs_grants_are(tmp_path: Path) -> None:
    from mcp_gateway_tools.devgateway._cli import _banner

    with DevGateway() as dev:
        banner = _banner(dev, "this run only; --store FILE keeps or shares them")
        assert dev.store_path is not None
        assert f"Grants: {dev.store_path} (this run only;" in banner
        assert Path(dev.store_path).exists()
    assert not Path(banner.split("Grants: ")[1].split(" (")[0]).exists()  # removed at stop
