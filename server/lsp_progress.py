"""Jobs as the client sees them: work-done progress for each "Optimize for speed" job (cancellable), and the
``pyperf/status`` notification saying what the server as a whole is busy with."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

from server.jobs import JobOutcome, JobRequest
from server.lsp_configuration import CONFIGURATION_TIMEOUT_S

if TYPE_CHECKING:
    from server.lsp import PerfLanguageServer

log = logging.getLogger("server")
STATUS_NOTIFICATION = "pyperf/status"  # {"state": "working" | "ready", "job": title}: what the client shows as busy


async def run_job(ls: PerfLanguageServer, request: JobRequest, job_title: str,
                  token: types.ProgressToken | None) -> JobOutcome:
    """Run the job with progress reports; a progress cancel stops it, $/cancelRequest too (re-raised)."""
    if not request.engines.any:
        return JobOutcome("no_candidates", "every engine is off (pyperf.engines)")
    progress = await begin_progress(ls, token, job_title)
    job_status(ls, job_title, running=True)
    job = asyncio.ensure_future(ls.jobs.run(request, lambda message: report_progress(ls, progress, message)))
    cancelled_by_progress = False
    if progress is not None and (future := ls.work_done_progress.tokens.get(progress)) is not None:
        def on_cancel(f) -> None:
            nonlocal cancelled_by_progress
            if f.cancelled():
                cancelled_by_progress = True
                job.cancel()
        future.add_done_callback(on_cancel)
    try:
        return await job
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if cancelled_by_progress and task is not None and not task.cancelling():
            return JobOutcome("failed", "cancelled")
        raise
    finally:
        job_status(ls, job_title, running=False)
        if progress is not None:
            ls.work_done_progress.end(progress, types.WorkDoneProgressEnd(message="done"))
            ls.work_done_progress.tokens.pop(progress, None)


def job_status(ls: PerfLanguageServer, job_title: str, running: bool) -> None:
    """Send ``pyperf/status``: "working" on the latest job still running, "ready" once none is.

    Progress reports belong to one request each; this says what the server as a whole is busy with (the VS
    Code extension's status bar). Clients that do not know the method ignore it.
    """
    if running:
        ls.running_jobs.append(job_title)
    elif job_title in ls.running_jobs:
        ls.running_jobs.remove(job_title)
    jobs = ls.running_jobs
    ls.protocol.notify(STATUS_NOTIFICATION, {"state": "working" if jobs else "ready",
                                             "job": jobs[-1] if jobs else None})


async def begin_progress(ls: PerfLanguageServer, token: types.ProgressToken | None,
                         title_text: str) -> types.ProgressToken | None:
    if token is None:
        if not ls.capability("window", "work_done_progress"):
            return None
        token = f"pyperf-{uuid.uuid4()}"
        try:
            await asyncio.wait_for(ls.work_done_progress.create_async(token), CONFIGURATION_TIMEOUT_S)
        except Exception as exc:  # no answer, or an error: go on without progress
            log.debug("no progress: %s", exc)
            return None
    ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(
        title=title_text, cancellable=True, message="starting"))
    return token


def report_progress(ls: PerfLanguageServer, token: types.ProgressToken | None, message: str) -> None:
    if token is not None:
        ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))
