"""Background workers: a cancelled worker lets the step under way finish, within limits."""

import asyncio
from typing import Any

import pytest

from chorus import waiting
from chorus.waiting import cancel_and_wait, work_in_batches


async def worker(step_seconds: float, finished: list[int]) -> asyncio.Task[Any]:
    started = asyncio.Event()

    async def step() -> int:
        started.set()
        await asyncio.sleep(step_seconds)  # a transaction under way
        finished.append(1)
        return 0

    task = asyncio.create_task(work_in_batches(step, wake=asyncio.Event(), batch_size=10,
                                               poll_interval=60, name="test"))
    await started.wait()
    return task


async def test_a_cancelled_worker_lets_its_step_finish_before_it_stops() -> None:
    finished: list[int] = []
    task = await worker(0.2, finished)
    await cancel_and_wait([task])
    assert finished == [1]
    assert task.cancelled()


async def test_a_step_that_does_not_finish_in_time_is_cut_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waiting, "FINISH_WITHIN", 0.1)
    finished: list[int] = []
    task = await worker(30, finished)
    async with asyncio.timeout(5):
        await cancel_and_wait([task])
    assert finished == []
    assert task.cancelled()
