"""The Redis bus frames one publish call as one message: packing and unpacking round-trip."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.bus.redis import pack, unpack

topics = st.from_regex(r"(visitor|agent|queue|chat):[A-Za-z0-9_-]{1,20}", fullmatch=True)
# Payloads are JSON text, as the bus carries: any text (control characters included) inside it.
payloads = st.builds(lambda text, n: orjson.dumps({"text": text, "n": n}).decode(), st.text(), st.integers(0, 2**40))


@given(st.lists(st.tuples(st.lists(topics, min_size=1, max_size=3), payloads), min_size=1, max_size=20))
def test_pack_round_trips_frames_in_order(frames):
    messages = [(topic, payload) for topic_list, payload in frames for topic in topic_list]
    assert unpack(pack(messages)) == messages


def test_a_payload_for_several_topics_is_sent_once():
    payload = orjson.dumps({"type": "event", "text": "hi \x1e\x1f\x1d there"}).decode()
    packed = pack([("visitor:v1", payload), ("agent:7", payload), ("queue:2", "{}")])
    assert packed.count('"type"') == 1
    assert unpack(packed) == [("visitor:v1", payload), ("agent:7", payload), ("queue:2", "{}")]
