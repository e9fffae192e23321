"""ChunkPipe, between the event loop and the S3 client's upload thread: bounded, never blocking
the loop, and telling each side when the other has given up."""

from __future__ import annotations

import asyncio

import pytest
from ticketing_attachments.adapters.blobs_s3_pipe import ChunkPipe, SourceFailed


async def test_reads_join_and_split_chunks_to_the_size_asked_and_end_with_empty_bytes() -> None:
    pipe = ChunkPipe(asyncio.get_running_loop(), [b"rec", b"eipt"], capacity=1024)
    assert await pipe.send(b"-1403")
    pipe.end()
    assert await asyncio.to_thread(pipe.read, 5) == b"recei"
    assert await asyncio.to_thread(pipe.read, 100) == b"pt-1403"
    assert await asyncio.to_thread(pipe.read, 100) == b""


async def test_the_loop_waits_without_blocking_while_the_reader_is_behind() -> None:
    pipe = ChunkPipe(asyncio.get_running_loop(), [], capacity=4)
    assert await pipe.send(b"abcd")
    second = asyncio.create_task(pipe.send(b"efgh"))
    await asyncio.sleep(0.05)
    assert not second.done()  # full: the loop keeps running other work meanwhile
    assert await asyncio.to_thread(pipe.read, 2) == b"ab"
    assert await asyncio.wait_for(second, 1) is True
    assert await asyncio.to_thread(pipe.read, -1) == b"cdefgh"


async def test_a_reader_waiting_for_bytes_raises_once_the_source_fails() -> None:
    pipe = ChunkPipe(asyncio.get_running_loop(), [], capacity=4)
    reading = asyncio.create_task(asyncio.to_thread(pipe.read, 10))
    await asyncio.sleep(0.05)
    assert not reading.done()
    pipe.fail()
    with pytest.raises(SourceFailed):
        await asyncio.wait_for(reading, 1)


async def test_a_sender_waiting_for_room_stops_when_the_upload_ends() -> None:
    loop = asyncio.get_running_loop()
    pipe = ChunkPipe(loop, [b"full"], capacity=4)
    waiting = asyncio.create_task(pipe.send(b"more"))
    await asyncio.sleep(0.05)
    upload: asyncio.Future[int] = loop.create_future()
    upload.add_done_callback(pipe.reader_done)
    upload.set_exception(ConnectionError("S3 went away"))
    assert await asyncio.wait_for(waiting, 1) is False
    assert await pipe.send(b"again") is False
