"""Which of today's hardening tests fail against the tree from before the hardening.

    .venv/bin/python -m tests.support.failed_before [--before 176475c] [--now] [--keep DIR]
    .venv/bin/python -m tests.support.failed_before --render before.xml [now.xml]

Checks the old commit out into a temporary ``git worktree``, runs the tests below
with that tree's ``src`` first on ``PYTHONPATH`` (today's tests, plus
``tests.support.before_shim`` so a name the old tree lacks fails its test instead of
its whole module), optionally runs them against today's tree too (``--now``), prints
the table of docs/reliability.md §7 (issue case → test → before → now), and removes
the worktree. 176475c is main when issue 12 was filed: the end of round one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CASES: list[tuple[str, str, list[str]]] = [
    # (issue item, what, test node ids or prefixes)
    (
        "1",
        "token echoed in gateway text",
        [
            "tests/security/test_core.py::test_gateway_text_is_kept_with_the_token_redacted",
            "tests/security/test_core.py::test_error_text_results_lose_the_token_but_keep_their_words",
            "tests/security/test_core.py::test_the_token_appears_nowhere",
            "tests/security/test_adapters.py::test_every_hostile_answer_through_both_adapters_leaks_nothing",
            "tests/core/test_untrusted.py::test_redact_removes_every_form_the_token_takes_in_gateway_text",
        ],
    ),
    (
        "1",
        "third-party DEBUG/exc_info records (\\u-escaped, not JSON-RPC)",
        [
            "tests/security/test_logs.py::",
        ],
    ),
    (
        "2",
        "no exception chain to frames holding headers",
        [
            "tests/security/test_core.py::test_connect_time_answers_become_their_typed_error_without_a_cause_chain",
            "tests/security/test_core.py::test_call_time_answers_become_their_typed_outcome",
            "tests/security/test_core.py::test_a_plain_per_call_token_is_in_no_frame_of_the_traceback",
            "tests/security/test_adapters.py::test_loading_a_server_that_fails_at_connect_raises_without_the_token",
            "tests/security/test_adapters.py::test_a_per_request_secretstr_token_stays_out_of_the_raise_paths_frames",
            "tests/security/test_langchain_frames.py::",
        ],
    ),
    ("3", "non-ASCII / malformed token", ["tests/security/test_identity_tokens.py::"]),
    (
        "4",
        "compressed error bodies (gzip, deflate, br), Accept-Encoding",
        [
            "tests/security/test_parsers.py::test_compressed_error_bodies_are_decoded",
            "tests/security/test_parsers.py::test_a_decompression_bomb_is_cut_at_the_bound_not_expanded",
            "tests/security/test_parsers.py::test_corrupt_compressed_bytes_cut_the_body_there",
            "tests/security/test_parsers.py::test_without_brotli_br_is_neither_asked_for_nor_decoded",
            "tests/security/test_parsers.py::test_an_encoding_we_did_not_ask_for_gives_no_body",
            "tests/security/test_core.py::test_the_client_asks_only_for_encodings_it_decodes",
        ],
    ),
    (
        "5",
        "cancelling a shared open",
        [
            "tests/core/test_shared_open.py::test_cancelling_",
            "tests/core/test_shared_open.py::test_every_waiter_of_a_failed_open_gets_a_typed_error",
        ],
    ),
    (
        "6",
        "consent text: forged lines, size, quoting, links",
        [
            "tests/security/test_core.py::test_consent_text_is_one_line_bounded_and_quoted_after_our_sentence",
            "tests/security/test_core.py::test_an_instruction_shaped_elicitation_is_quoted_and_its_link_flagged",
            "tests/security/test_core.py::test_a_hundred_thousand_links_give_twenty_and_a_count",
            "tests/core/test_untrusted.py::test_clean_",
            "tests/core/test_untrusted.py::test_sanitize_",
        ],
    ),
    (
        "7",
        "link validation",
        [
            "tests/security/test_parsers.py::test_each_bad_link_form_is_refused",
            "tests/security/test_parsers.py::test_a_link_carrying_the_callers_token_is_refused",
            "tests/security/test_parsers.py::test_hosts_are_shown_in_punycode_and_good_links_pass_unchanged",
        ],
    ),
    ("8", "bounded per-identity state", ["tests/core/test_identity_bounds.py::"]),
    ("9", "CLI terminal escapes", ["tests/cli/test_terminal_safety.py::"]),
    (
        "10",
        "dev gateway: login_hint, Host guard, framing",
        [
            "tests/devgateway/test_consent.py::test_a_login_as_another_user_is_refused_at_the_callback",
            "tests/devgateway/test_front_door.py::test_the_upstream_port_refuses_a_foreign_host_header",
            "tests/devgateway/test_front_door.py::test_every_html_page_forbids_framing",
        ],
    ),
    (
        "11",
        "dev gateway: email_verified",
        [
            "tests/devgateway/test_jwt.py::test_an_unverified_email_claim_is_not_the_identity",
            "tests/devgateway/test_jwt.py::test_a_jwt_without_email_is_the_user_iss_sub",
        ],
    ),
    (
        "12",
        "deeply nested body",
        [
            "tests/security/test_core.py::test_a_decompression_bomb_is_cut_and_a_deep_body_is_a_protocol_error",
        ],
    ),
    (
        "13",
        "full keyed HMAC",
        [
            "tests/core/test_no_leaks.py::test_fingerprints_are_the_full_keyed_hmac_and_stable_within_the_process",
        ],
    ),
    (
        "—",
        "misclassifications (closed Gateway, pool)",
        [
            "tests/core/test_shared_open.py::test_closing_the_gateway_mid_connect_is_gateway_closed_not_unreachable",
            "tests/core/test_shared_open.py::test_a_closed_gateway_says_so_with_its_own_type",
        ],
    ),
]


def targets() -> list[str]:
    """The pytest arguments: each file (or node) named in CASES, once."""
    seen: dict[str, None] = {}
    for _, _, ids in CASES:
        for node in ids:
            path, _, name = node.partition("::")
            seen[path if not name or name.endswith("_") else node] = None
    files = {t for t in seen if "::" not in t}
    return [t for t in seen if "::" not in t or t.split("::")[0] not in files]


def run(src: Path, xml: Path, shim: bool) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=120"]
    args += ["-p", "tests.support.before_shim"] if shim else []
    args += [f"--junitxml={xml}", "-o", "junit_family=xunit1", *targets()]
    subprocess.run(args, cwd=ROOT, env=env, check=False)


def outcomes(xml: Path) -> dict[str, str]:
    """node id -> "passed" | "failed: <first line>" | "error: ..." | "skipped"."""
    result = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        node = f"{case.get('file')}::{case.get('name')}"
        verdict = "passed"
        for kind in ("failure", "error", "skipped"):
            found = case.find(kind)
            if found is not None:
                message = (found.get("message") or "").splitlines()
                verdict = f"{kind}: {message[0][:90] if message else ''}"
                break
        result[node] = verdict
    return result


def table(before: dict[str, str], now: dict[str, str] | None) -> str:
    rows = ["| issue 12 | case | test | failed before | passes now |", "|---|---|---|---|---|"]
    for item, what, ids in CASES:
        for prefix in ids:
            nodes = sorted(n for n in before if n == prefix or n.startswith(prefix))
            groups: dict[str, list[str]] = defaultdict(list)
            for node in nodes:
                groups[node.split("[")[0]].append(node)
            for name, variants in groups.items():
                failed = [v for v in variants if not before[v].startswith("passed")]
                reasons = sorted({_reason(before[v]) for v in failed})
                passing = [v for v in variants if now is None or now.get(v) == "passed"]
                test = name.removeprefix("tests/")
                rows.append(
                    f"| {item} | {what} | `{test}` | {len(failed)}/{len(variants)}"
                    f" ({', '.join(reasons) or '-'}) | "
                    + ("" if now is None else f"{len(passing)}/{len(variants)}")
                    + " |"
                )
    return "\n".join(rows)


def _reason(verdict: str) -> str:
    """Why a test failed before, in a word: absent (the old tree lacks what it calls),
    assertion (the old behaviour), or the exception the old code raised."""
    if "AbsentBefore" in verdict:
        return "absent"
    detail = verdict.partition(": ")[2]
    if detail.startswith(("assert", "AssertionError", "Failed: DID NOT RAISE")):
        return "assertion"
    return detail.split(":")[0].rsplit(".", 1)[-1].strip()[:40] or verdict.split(":")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="176475c")
    parser.add_argument("--now", action="store_true", help="also run against today's tree")
    parser.add_argument("--render", nargs="+", metavar="XML", help="only print the table")
    parser.add_argument("--keep", type=Path, help="copy the runs' junit XML files here")
    options = parser.parse_args()
    if options.render:
        runs = [outcomes(Path(x)) for x in options.render]
        print(table(runs[0], runs[1] if len(runs) > 1 else None))
        return
    with tempfile.TemporaryDirectory(prefix="failed-before-") as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), options.before],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            run(tree / "src", Path(tmp) / "before.xml", shim=True)
            before = outcomes(Path(tmp) / "before.xml")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True
            )
        now = None
        if options.now:
            run(ROOT / "src", Path(tmp) / "now.xml", shim=False)
            now = outcomes(Path(tmp) / "now.xml")
        if options.keep:
            options.keep.mkdir(parents=True, exist_ok=True)
            for xml in Path(tmp).glob("*.xml"):
                shutil.copy(xml, options.keep / xml.name)
    print(table(before, now))


if __name__ == "__main__":
    main()
