"""The fast reader (issue 18) must never read a file differently from the exact reader:
whatever it returns, the exact reader would have built the same data, and whatever it is
unsure of, it leaves to the exact reader (None)."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.desired.fast_reader import fast_read
from reconcile.desired.yaml_reader import read_yaml


def exact(text: str) -> object:
    result = read_yaml(text, environ={})
    assert not result.problems, result.problems
    return result.root


def test_a_plain_file_is_read_as_the_exact_reader_reads_it() -> None:
    text = (
        "users:\n"
        "  - email: ann@example.test\n"
        "    first_name: 'Ann'\n"
        '    last_name: "O\'Neil"\n'
        "    suspended: true\n"
        "    language: ~\n"
        "groups:\n"
        "  ops:\n"
        "    name: Ops   # a comment\n"
        "    members: [ann@example.test, {email: bo@example.test, expires: 2027-03-31}]\n"
    )
    assert fast_read(text) == exact(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: &anchor 1\nb: *anchor\n",  # aliases: bounded by the exact reader
        "a: !!str 1\n",  # tags: refused by the exact reader
        "a: !python/object:os.system x\n",
        "<<: {a: 1}\n",  # merge keys: refused
        "a: ${HOME}\n",  # environment references: resolved by the exact reader
        "%YAML 1.2\n---\na: 1\n",  # directives
        "a: 1\n%TAG ! x\n",
        'a: "tab\\tescape"\n',  # backslash escapes
        "a:\t1\n",  # tabs
        "a: b\x01\n",  # characters libyaml refuses
        "a: b\x7f\n",
        "a: b\x85c\n",  # NEL: a line break to libyaml
        "a: b\u2028c\n",  # LS and PS: line breaks in YAML 1.1
        "a: b\u2029c\n",
        "a: b\ufeffc\n",  # a byte-order mark inside the text
        "a: [1\n",  # what yaml_rs refuses: the exact reader says why
        "a: 1\na: 2\n",  # a duplicate key
        "a: 1\n---\nb: 2\n",  # two documents
        "- a\n- b\n",  # not a mapping
        "",  # empty
        "just text\n",
    ],
)
def test_whatever_could_be_read_differently_is_left_to_the_exact_reader(text: str) -> None:
    assert fast_read(text) is None


def test_non_ascii_text_is_read_fast_when_nothing_in_it_is_special() -> None:
    text = "users:\n  - email: jose@example.test\n    first_name: José\n    last_name: Núñez\n"
    assert fast_read(text) == exact(text)


# Plain scalars: the one place where YAML schemas differ (YAML 1.1 vs 1.2 core, and each
# parser's extras). The fast reader may type a scalar differently only where the exact
# reader makes it a string and the fast one does not: the strict schema then refuses the
# fast result (a string field takes no number) and the exact reader reads the file.
_PLAIN = st.text(alphabet="0123456789+-._xXoObBeEaInNfFtTrRuUlLsSyY~:", min_size=1, max_size=8)


@settings(max_examples=600, deadline=None)
@given(_PLAIN)
def test_a_plain_scalar_is_typed_alike_or_left_to_the_exact_reader(scalar: str) -> None:
    text = f"a: {scalar}\n"
    result = read_yaml(text, environ={})
    fast = fast_read(text)
    if result.problems or result.root is None:
        assert fast is None or not result.problems or fast == result.root
        return
    if fast is None:
        return
    want, got = result.root["a"], fast["a"]
    if isinstance(got, float) and got != got:  # NaN
        assert isinstance(want, float)
        assert want != want
    elif type(want) is type(got):
        assert want == got, (scalar, want, got)
    else:
        # Only ever: the exact reader's string, the fast reader's number.
        assert type(want) is str, (scalar, want, got)
        assert type(got) in (int, float), (scalar, want, got)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
        max_size=30,
    ),
    st.sampled_from([None, '"', "'", "|", ">"]),
)
def test_a_string_in_any_style_reads_the_same(value: str, style: str | None) -> None:
    text = yaml.safe_dump({"name": value}, default_style=style, allow_unicode=True, width=20)
    result = read_yaml(text, environ={})
    fast = fast_read(text)
    if fast is None:
        return
    assert not result.problems, (text, result.problems)
    assert fast == result.root, text
