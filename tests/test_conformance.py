"""The committed conformance streams (1.0, 1.1, 2.0 and 2.1) decode to their recorded symbols and
re-encode byte for byte."""

import json

import numpy as np
import pytest

from bcdcodec import api
from bcdcodec.bitstream import read_stream, v1, v2
from bcdcodec.coding.ans import encode_clip, encode_clip_with_prior
from bcdcodec.coding.gop import encode_gop
from bcdcodec.symbols import ClipSymbols

from .conftest import CONFORMANCE

STREAMS = sorted(CONFORMANCE.glob("*.bcd"))


@pytest.fixture(scope="module")
def conformance_model():
    return api.attach_prior(api.load_model(CONFORMANCE / "conformance-tiny.pt"), CONFORMANCE / "conformance-prior.pt")


def _expected(path):
    return json.loads(path.with_suffix(".json").read_text())


def test_there_are_conformance_streams_of_every_kind():
    kinds = {(e["info"]["version"][0], e["info"]["motion_coding"]) for e in map(_expected, STREAMS)}
    assert kinds == {("1", "static"), ("1", "prior"), ("2", "static"), ("2", "prior")}
    assert any(len(_expected(p)["info"].get("gops", [])) > 1 for p in STREAMS)


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
def test_stream_decodes_to_recorded_symbols(path, conformance_model):
    data = path.read_bytes()
    expected = _expected(path)
    assert api.stream_info(data) == expected["info"]
    _, clips = api.decode_symbols(data, conformance_model)
    assert [c.content.tolist() for c in clips] == [e["content"] for e in expected["clips"]]
    assert [c.motion.tolist() for c in clips] == [e["motion"] for e in expected["clips"]]


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
def test_recorded_symbols_re_encode_to_the_same_bytes(path, conformance_model):
    data = path.read_bytes()
    expected = _expected(path)
    header = read_stream(data).header
    tables = conformance_model.tables
    clips = [ClipSymbols(np.array(e["content"], np.int32), np.array(e["motion"], np.int32)) for e in expected["clips"]]

    def rows(clip):
        return conformance_model.prior.integer.tables(clip.content, clip.motion, tables.precision)

    prior = header.motion_prior_hash is not None
    if header.version[0] == 1:
        payloads = [encode_clip_with_prior(c, tables, rows(c)) if prior else encode_clip(c, tables) for c in clips]
        assert v1.write_stream(header, payloads) == data
        return
    gops, first = [], 0
    for gop in expected["info"]["gops"]:
        members = clips[first : first + gop["clips"]]
        motions = [c.motion for c in members]
        gop_rows = [rows(c) for c in members] if prior else None
        gops.append((len(members), encode_gop(members[0].content, motions, tables, gop_rows, header.version[1])))
        first += gop["clips"]
    assert v2.write_stream(header, gops, header.version[1]) == data


KEYFRAME_STREAMS = sorted((CONFORMANCE / "keyframe").glob("*.bcd"))


@pytest.mark.parametrize("path", KEYFRAME_STREAMS, ids=lambda p: p.stem)
def test_keyframe_stream_decodes_to_recorded_pictures_and_flow_and_back(path):
    from bcdcodec.coding.flow_gop import encode_flow_gop
    from bcdcodec.coding.keypicture import decode_picture
    from bcdcodec.flowcodec import FACES_FLOW, decode_unit

    data = path.read_bytes()
    expected = _expected(path)
    assert api.stream_info(data) == expected["info"]
    parsed = read_stream(data)
    assert len(parsed.units) == len(expected["gops"]) > 1
    for unit, gop in zip(parsed.units, expected["gops"]):
        picture, flow, _ = decode_unit(unit, parsed.header, FACES_FLOW)
        assert picture.hex() == gop["picture"] and flow.tolist() == gop["flow"]
        assert decode_picture(picture, FACES_FLOW.image_size).shape == (128, 128, 3)
        flow = np.array(gop["flow"], dtype=np.int32)
        assert encode_flow_gop(picture, flow, parsed.header.version[1]) == unit.payload
    assert api.decompress(data).frames.shape == (20, 128, 128, 3)  # the bundled codec, found from the id
