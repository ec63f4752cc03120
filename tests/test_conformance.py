"""The committed conformance streams decode to their recorded symbols and re-encode byte for byte."""

import json

import numpy as np
import pytest

from bcdcodec import api
from bcdcodec.bitstream import read_stream, write_stream
from bcdcodec.coding.ans import encode_clip, encode_clip_with_prior
from bcdcodec.symbols import ClipSymbols

from .conftest import CONFORMANCE

STREAMS = sorted(CONFORMANCE.glob("*.bcd"))


@pytest.fixture(scope="module")
def conformance_model():
    return api.attach_prior(api.load_model(CONFORMANCE / "conformance-tiny.pt"), CONFORMANCE / "conformance-prior.pt")


def test_there_is_a_prior_coded_stream():
    assert any(json.loads(p.with_suffix(".json").read_text())["info"]["motion_coding"] == "prior" for p in STREAMS)


def test_there_are_conformance_streams():
    assert len(STREAMS) >= 3


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
def test_stream_decodes_to_recorded_symbols(path, conformance_model):
    data = path.read_bytes()
    expected = json.loads(path.with_suffix(".json").read_text())
    assert api.stream_info(data) == expected["info"]
    _, clips = api.decode_symbols(data, conformance_model)
    assert [c.content.tolist() for c in clips] == [e["content"] for e in expected["clips"]]
    assert [c.motion.tolist() for c in clips] == [e["motion"] for e in expected["clips"]]


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
def test_recorded_symbols_re_encode_to_the_same_bytes(path, conformance_model):
    data = path.read_bytes()
    expected = json.loads(path.with_suffix(".json").read_text())
    header = read_stream(data).header
    tables = conformance_model.tables
    payloads = []
    for e in expected["clips"]:
        symbols = ClipSymbols(np.array(e["content"], np.int32), np.array(e["motion"], np.int32))
        if header.motion_prior_hash:
            rows = conformance_model.prior.integer.tables(symbols.content, symbols.motion, tables.precision)
            payloads.append(encode_clip_with_prior(symbols, tables, rows))
        else:
            payloads.append(encode_clip(symbols, tables))
    assert write_stream(header, payloads) == data
