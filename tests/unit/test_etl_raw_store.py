"""Streaming gunzip and line splitting of raw objects."""

from __future__ import annotations

import gzip

import pytest

from clickstream.etl.raw_store import CorruptObject, gunzip_chunks, split_lines


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1 << 16])
def test_lines_split_the_same_at_every_chunk_boundary(size):
    # Given lines whose newlines fall at every offset of the chunks
    data = b'{"a":1}\n{"b":"x\\ty"}\r\n\n  \n{"c":3}\n{"d":4}'
    # When they are split from chunks of any size
    lines = list(split_lines(pieces(data, size)))
    # Then blank lines are dropped, a CR stays, and the last line needs no newline
    assert lines == [b'{"a":1}', b'{"b":"x\\ty"}\r', b'{"c":3}', b'{"d":4}']


def test_a_trailing_newline_or_blank_tail_adds_no_line():
    assert list(split_lines([b"a\n", b"b\n"])) == [b"a", b"b"]
    assert list(split_lines([b"a\n  "])) == [b"a"]
    assert list(split_lines([])) == []


@pytest.mark.parametrize("size", [1, 10, 1 << 16])
def test_gunzip_in_chunks_gives_the_whole_text(size):
    text = b"".join(b'{"n":%d}\n' % n for n in range(5000))
    assert b"".join(gunzip_chunks(pieces(gzip.compress(text), size))) == text


def test_members_in_a_row_and_nul_padding_are_read_like_gzipfile():
    data = gzip.compress(b"one\n") + gzip.compress(b"two\n") + b"\x00" * 8
    assert b"".join(gunzip_chunks(pieces(data, 5))) == gzip.decompress(data) == b"one\ntwo\n"


def test_an_empty_object_has_no_lines():
    assert list(gunzip_chunks([])) == []


def test_a_truncated_object_yields_what_came_before_then_fails():
    text = b"".join(b'{"n":%d}\n' % n for n in range(20000))
    cut = gzip.compress(text)[:-200]
    seen = []
    with pytest.raises(CorruptObject, match="EOFError"):
        for line in split_lines(gunzip_chunks(pieces(cut, 4096))):
            seen.append(line)
    assert seen and seen == text.split(b"\n")[: len(seen)]


@pytest.mark.parametrize(
    "data",
    [
        b"not gzip at all",
        gzip.compress(b"one\n") + b"garbage after the member",
        gzip.compress(b"one\n")[:-8] + b"\x00\x00\x00\x00\x04\x00\x00\x00",  # bad CRC
    ],
)
def test_damaged_streams_raise_corrupt_object(data):
    with pytest.raises(CorruptObject):
        list(gunzip_chunks([data]))
