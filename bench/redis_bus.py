"""CPU a node spends receiving events from the Redis bus, per frame, by parser and packing.

Every node of a cluster receives every event published (one subscription per node), so this
cost is paid N times per message on N nodes. Modes: redis-py's pure-Python parser or hiredis,
and frames published one Redis message each (as before) or packed per publish call (a commit's
frames, `frontdesk.bus.redis.pack`). A subscriber process counts events published
by this process and reports its own CPU time (getrusage), which is meaningful even on a busy
machine, unlike wall-clock throughput.

    python -m bench.redis_bus --redis redis://127.0.0.1:6379/0 [--events 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import time

import orjson

from frontdesk.bus.redis import CHANNEL, RedisBus, pack

PAYLOAD = orjson.dumps(
    {
        "type": "event",
        "chat_id": 123456,
        "seq": 42,
        "kind": "message",
        "author": {"type": "visitor", "name": "Ada Lovelace"},
        "text": "Hello, I would like to know whether the blue bike comes in a larger frame size.",
        "client_id": "v-0123456789abcdef",
        "created_at": "2026-11-25T15:00:00.123456+00:00",
    }
).decode()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def subscriber(url: str, parser: str, events: int, ready, result) -> None:  # type: ignore[no-untyped-def]
    import redis._parsers as parsers

    async def main() -> None:
        bus = RedisBus(url)
        if parser == "python":  # what redis-py uses when hiredis is not installed
            bus._client.connection_pool.connection_kwargs["parser_class"] = parsers._AsyncRESP2Parser
        seen = 0
        done = asyncio.Event()
        started = 0.0

        def receive(topic: str, payload: str) -> None:
            nonlocal seen, started
            if seen == 0:
                started = _cpu()
            seen += 1
            if seen == events:
                done.set()

        await bus.start(receive)
        await bus.connected.wait()
        await asyncio.sleep(0.2)
        ready.set()
        await done.wait()
        result.put(_cpu() - started)
        await bus.close()

    asyncio.run(main())


async def publish(url: str, events: int, per_publish: int) -> None:
    bus = RedisBus(url)
    # One message's frames: to the visitor and to the agent (two topics, one payload).
    frames = [(f"{'visitor' if i % 2 else 'agent'}:{i // 2 % 500}", PAYLOAD) for i in range(100)]
    for _ in range(events // len(frames)):
        async with bus._client.pipeline(transaction=False) as pipe:
            for start in range(0, len(frames), per_publish):
                pipe.publish(CHANNEL, pack(frames[start : start + per_publish]))
            await pipe.execute()
    await bus._client.aclose()


def run(url: str, parser: str, events: int, per_publish: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    ready, result = ctx.Event(), ctx.Queue()
    proc = ctx.Process(target=subscriber, args=(url, parser, events, ready, result))
    proc.start()
    ready.wait(10)
    t0 = time.perf_counter()
    asyncio.run(publish(url, events, per_publish))
    cpu = result.get(timeout=120)
    proc.join()
    print(
        f"{parser:8s} {per_publish:3d} frames/publish: {events} frames in {time.perf_counter() - t0:.1f} s;"
        f" subscriber CPU {cpu * 1e6 / events:.1f} µs/frame"
    )
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    for name, per_publish in (("python", 1), ("hiredis", 1), ("python", 2), ("hiredis", 2), ("hiredis", 20)):
        run(args.redis, name, args.events, per_publish)


if __name__ == "__main__":
    main()
