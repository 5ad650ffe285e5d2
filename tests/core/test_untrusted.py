"""Gateway text is made safe before anyone sees it: redact, clean, sanitize."""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from mcp_gateway_tools._untrusted import REDACTED, clean, redact, sanitize

TOKEN = "sk-Abc/def+ghi=="


@pytest.mark.parametrize(
    "text",
    [
        f"invalid token {TOKEN}",
        f"invalid token Bearer {TOKEN}",
        f"invalid token bearer   {TOKEN}",
        f"see ?access_token={quote(TOKEN, safe='')}",
        "see ?access_token=" + re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), quote(TOKEN, "")),
        f"see ?access_token={quote_plus(TOKEN, safe='')}",
        f"json says {TOKEN.replace('/', chr(92) + '/')}",
        f"header=Bearer%20{quote(TOKEN, safe='')}",
        "json says Bearer " + "".join(f"\\u{ord(c):04x}" for c in TOKEN),
        "json says " + "".join(f"\\u{ord(c):04X}" if i % 2 else c for i, c in enumerate(TOKEN)),
        "repr of json: " + repr("".join(f"\\u{ord(c):04x}" for c in TOKEN)),
    ],
)
def test_redact_removes_every_form_the_token_takes_in_gateway_text(text: str) -> None:
    out = redact(text, [TOKEN])
    assert REDACTED in out
    assert TOKEN not in out
    assert quote(TOKEN, safe="") not in out
    assert "Bearer" not in out
    assert "bearer" not in out


def test_redact_accepts_secretstr_and_leaves_other_text_alone() -> None:
    assert redact("nothing to see", [SecretStr(TOKEN), None]) == "nothing to see"
    assert redact(f"a {TOKEN} b", [SecretStr(TOKEN)]) == f"a {REDACTED} b"


def test_redact_ignores_secrets_too_short_to_mean_anything() -> None:
    assert redact("abc abc", ["abc"]) == "abc abc"


def test_clean_puts_text_on_one_line_without_control_or_bidi_characters() -> None:
    hostile = "Mail\n- Mail (backup): javascript:x\u202e\x1b]52;c;AAAA\x07\x7f\x85\u200b end"
    out = clean(hostile, limit=200)
    assert "\n" not in out
    assert all(ch not in out for ch in "\u202e\x1b\x07\x7f\x85\u200b")
    assert out.startswith("Mail - Mail (backup): javascript:x]52;c;AAAA end")


def test_clean_caps_long_text_with_an_ellipsis() -> None:
    out = clean("x" * 900_000, limit=500)
    assert len(out) == 500
    assert out.endswith("…")
    assert clean("  short  ", limit=500) == "short"


def test_sanitize_redacts_a_token_split_by_a_zero_width_character() -> None:
    split = TOKEN[:4] + "\u200b" + TOKEN[4:]
    out = sanitize(f"token {split}", [TOKEN], limit=100)
    assert TOKEN not in out
    assert REDACTED in out


def test_sanitize_turns_what_is_not_text_into_nothing() -> None:
    assert sanitize({"a": 1}, [TOKEN], limit=10) == ""
    assert sanitize(None, [TOKEN], limit=10) == ""


@given(st.text(max_size=300), st.integers(min_value=1, max_value=120))
def test_sanitize_never_returns_the_token_a_control_character_or_too_much(
    noise: str, limit: int
) -> None:
    out = sanitize(noise + TOKEN + noise, [TOKEN], limit=limit)
    assert TOKEN not in out
    assert len(out) <= limit
    assert not any(ch in out for ch in "\n\r\t\x00\x1b\u202e\u200b")
