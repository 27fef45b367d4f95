"""Secret and PII detection and redaction: every type, positive and negative."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptsentry.pipeline.analysis.sensitive import (
    find_sensitive,
    iban_valid,
    luhn_valid,
    redact,
)


def _jwt(payload: dict) -> str:
    def enc(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(payload)}.c2lnbmF0dXJlX2J5dGVz"


PEM = ("-----BEGIN RSA PRIVATE KEY-----\n"
       "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
       "-----END RSA PRIVATE KEY-----")

POSITIVE = [
    ("OPENAI_KEY", "sk-proj-" + "Ab3" * 10),
    ("OPENAI_KEY", "sk-" + "x9Y" * 12),
    ("ANTHROPIC_KEY", "sk-ant-api03-" + "Zz9_" * 10),
    ("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE"),
    ("GITHUB_TOKEN", "ghp_" + "a1B2" * 9),
    ("GITHUB_TOKEN", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv"),
    ("SLACK_TOKEN", "xoxb-1234567890-0987654321-AbCdEfGh"),
    ("GOOGLE_API_KEY", "AIza" + "Sy" + "B" * 33),
    ("STRIPE_KEY", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    ("JWT", _jwt({"sub": "1234567890", "name": "Jane"})),
    ("PRIVATE_KEY", PEM),
    ("EMAIL", "jane.doe+news@mail.example.co.uk"),
    ("PHONE", "+1 415 555 2671"),
    ("PHONE", "+442079460958"),
    ("PHONE", "(415) 555-2671"),
    ("PHONE", "415-555-2671"),
    ("PHONE", "020 7946 0958"),
    ("PHONE", "01 23 45 67 89"),
    ("CREDIT_CARD", "4111 1111 1111 1111"),
    ("CREDIT_CARD", "5500-0000-0000-0004"),
    ("CREDIT_CARD", "378282246310005"),
    ("IBAN", "GB82 WEST 1234 5698 7654 32"),
    ("IBAN", "DE89370400440532013000"),
    ("IP_ADDRESS", "192.168.10.4"),
    ("IP_ADDRESS", "8.8.8.8"),
    ("IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334"),
    ("IP_ADDRESS", "fe80::1"),
]

NEGATIVE = [
    "sk-short",                                   # too short for a key
    "the task-list is in AKIA but not a key",
    "ghp_short",
    "eyJhbGciOi.not-a-jwt.at all",
    "eyJub3Rqc29u.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",  # header is not JSON
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----",
    "write to me at jane at example dot com",
    "order 12345 shipped on 2024-01-15",
    "4111 1111 1111 1112",                       # fails Luhn
    "0000 0000 0000 0000",                       # Luhn-valid but not a card
    "GB82 WEST 1234 5698 7654 33",               # fails mod-97
    "version 1.2.3 and 999.1.1.1",                 # not an IPv4 address
    "the meeting is at 12:30:45",
    "call extension 42",
    "ISBN 978 3 16 148410 0",
]


@pytest.mark.parametrize(("kind", "value"), POSITIVE, ids=[f"{k}-{i}" for i, (k, _) in
                                                           enumerate(POSITIVE)])
def test_each_type_is_found_and_redacted(kind: str, value: str) -> None:
    text = f"context before {value} and after"
    result = redact(text)
    assert result.stats == {kind: 1}, result
    assert value not in result.text
    assert result.text == f"context before [{kind}_1] and after"


@pytest.mark.parametrize("text", NEGATIVE)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert find_sensitive(text) == []
    assert redact(text).text == text


def test_same_value_same_placeholder_and_counts() -> None:
    text = "a@x.io wrote to b@y.io, then a@x.io replied from 10.0.0.1"
    result = redact(text)
    assert result.text == "[EMAIL_1] wrote to [EMAIL_2], then [EMAIL_1] replied from [IP_ADDRESS_1]"
    assert result.stats == {"EMAIL": 3, "IP_ADDRESS": 1}


def test_types_filter() -> None:
    text = "key AKIAIOSFODNN7EXAMPLE mail a@b.io"
    assert [m.type for m in find_sensitive(text, types={"EMAIL"})] == ["EMAIL"]


def _luhn_reference(number: str) -> bool:
    digits = [int(c) for c in number]
    checksum = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2
            d = d - 9 if d > 9 else d
        checksum += d
    return checksum % 10 == 0


def _with_check_digit(body: str) -> str:
    for d in "0123456789":
        if _luhn_reference(body + d):
            return body + d
    raise AssertionError


@settings(max_examples=200, deadline=None)
@given(st.text("0123456789", min_size=12, max_size=18))
def test_luhn_accepts_exactly_one_check_digit(body: str) -> None:
    valid = [d for d in "0123456789" if luhn_valid(body + d)]
    assert len(valid) == 1
    assert valid[0] == _with_check_digit(body)[-1]


@settings(max_examples=200, deadline=None)
@given(st.text("0123456789", min_size=12, max_size=18), st.integers(0, 9))
def test_luhn_catches_single_digit_errors(body: str, delta: int) -> None:
    number = _with_check_digit(body)
    pos = len(number) // 2
    wrong = (int(number[pos]) + delta + 1) % 10
    if wrong == int(number[pos]):
        return
    mutated = number[:pos] + str(wrong) + number[pos + 1:]
    assert luhn_valid(number)
    assert not luhn_valid(mutated)


@settings(max_examples=100, deadline=None)
@given(st.text("0123456789", min_size=12, max_size=15).filter(lambda s: len(set(s)) > 1),
       st.sampled_from([" ", "-", ""]))
def test_card_numbers_found_in_any_grouping(body: str, sep: str) -> None:
    number = _with_check_digit("4" + body)
    grouped = sep.join(number[i:i + 4] for i in range(0, len(number), 4))
    result = redact(f"pay with {grouped} now")
    assert result.stats.get("CREDIT_CARD") == 1


def test_iban_check() -> None:
    assert iban_valid("GB82WEST12345698765432")
    assert iban_valid("fr14 2004 1010 0505 0001 3m02 606")
    assert not iban_valid("GB82WEST1234569876543")  # wrong length for GB
    assert not iban_valid("XX00")
