"""Print jobs: label runs longer than one sheet are rendered in the background.

A request for more than ``SYNC_LABELS`` labels is resolved and authorised at once
(what each label shows is stored with the job), answered 202, and rendered by a
scheduler (APScheduler) that runs in every server process. Claims are exclusive —
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite — so several
processes share one queue. A job whose process died while rendering is taken again
after ``STALE``, at most ``MAX_ATTEMPTS`` times. Finished jobs are kept ``KEEP``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, and_, delete, or_
from sqlmodel import Session, col, select

from banques import db
from banques.accounts.permissions import Action, Principal, authorize
from banques.documents.models import JobStatus, PrintJob
from banques.documents.rendering import Document, render_labels
from banques.documents.schemas import PrintOptions
from banques.errors import Conflict, NotFound
from banques.sqltypes import utcnow
from labels import AssetLabel

log = logging.getLogger(__name__)

SYNC_LABELS = 65  # one L7651 sheet: answered at once (RELIABILITY.md §1)
STALE = timedelta(minutes=10)
MAX_ATTEMPTS = 3
KEEP = timedelta(hours=24)


class JobNotReady(Conflict):
    code = "print-job-not-ready"
    title = "Impression pas encore prête"


def enqueue(
    session: Session,
    principal: Principal,
    labels: Sequence[AssetLabel],
    options: PrintOptions,
    *,
    stem: str,
    now: datetime | None = None,
) -> PrintJob:
    """Queue a label run already resolved for (and authorised to) ``principal``."""
    job = PrintJob(
        bank_id=principal.bank_id,
        organisation_id=principal.organisation_id,
        requested_by_id=principal.user_id,
        label_count=len(labels),
        labels=[[a.tag, a.bank, a.category, a.model] for a in labels],
        options=options.model_dump(mode="json", include=set(PrintOptions.model_fields)),
        stem=stem,
        created_at=now or utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, principal: Principal, job_id: uuid.UUID) -> PrintJob:
    """A print job of the caller's organisation (or, for coordinators, bank)."""
    authorize(principal, Action.label_print)
    job = session.get(PrintJob, job_id)
    if job is None or not principal.sees(
        bank_id=job.bank_id, organisation_ids=(job.organisation_id,)
    ):
        raise NotFound("Impression introuvable.")
    return job


def job_document(session: Session, principal: Principal, job_id: uuid.UUID) -> Document:
    job = get_job(session, principal, job_id)
    if job.status is JobStatus.failed:
        raise Conflict(f"Cette impression a échoué : {job.error}")
    if job.status is not JobStatus.done or job.content is None:
        raise JobNotReady(
            "Cette impression n'est pas encore prête ; réessayez dans un instant.",
            job_status=job.status.value,
        )
    assert job.media_type is not None
    assert job.filename is not None
    return Document(job.content, job.media_type, job.filename)


# --- the runner ---------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    id: uuid.UUID
    labels: list[AssetLabel]
    options: PrintOptions
    stem: str


def _claim(engine: Engine, now: datetime) -> _Claimed | None:
    """The oldest job to render, now marked running (None: nothing to do). A job
    interrupted ``MAX_ATTEMPTS`` times is marked failed instead."""
    while True:
        with db.transaction(engine) as session:
            job = session.exec(
                select(PrintJob)
                .where(
                    or_(
                        col(PrintJob.status) == JobStatus.queued,
                        and_(
                            col(PrintJob.status) == JobStatus.running,
                            col(PrintJob.started_at) < now - STALE,
                        ),
                    )
                )
                .order_by(col(PrintJob.created_at))
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if job is None:
                return None
            if job.attempts >= MAX_ATTEMPTS:
                job.status, job.finished_at = JobStatus.failed, now
                job.error = "interrompue trop souvent"
                session.add(job)
                continue
            job.status, job.started_at = JobStatus.running, now
            job.attempts += 1
            session.add(job)
            return _Claimed(
                job.id,
                [AssetLabel(*fields) for fields in job.labels],
                PrintOptions.model_validate(job.options),
                job.stem,
            )


def run_next(engine: Engine, *, base_url: str) -> bool:
    """Render one job, if any is waiting; True if one was taken."""
    claimed = _claim(engine, utcnow())
    if claimed is None:
        return False
    try:
        document = render_labels(
            claimed.labels, claimed.options, base_url=base_url, stem=claimed.stem
        )
    except Exception:
        log.exception("print job %s failed", claimed.id)
        with db.transaction(engine) as session:
            job = session.get(PrintJob, claimed.id)
            assert job is not None
            job.status, job.finished_at = JobStatus.failed, utcnow()
            job.error = "erreur pendant le rendu"
            session.add(job)
        return True
    with db.transaction(engine) as session:
        job = session.get(PrintJob, claimed.id)
        assert job is not None
        job.status, job.finished_at = JobStatus.done, utcnow()
        job.content = document.content
        job.media_type, job.filename = document.media_type, document.filename
        session.add(job)
    return True


def drain(engine: Engine, *, base_url: str) -> int:
    """Render every waiting job; how many were taken."""
    done = 0
    while run_next(engine, base_url=base_url):
        done += 1
    return done


def purge(engine: Engine, now: datetime | None = None) -> None:
    """Forget the jobs finished more than ``KEEP`` ago (documents included)."""
    with db.transaction(engine) as session:
        session.execute(
            delete(PrintJob).where(col(PrintJob.finished_at) < (now or utcnow()) - KEEP)
        )


class JobRunner:
    """The background scheduler of one server process."""

    def __init__(self, engine: Engine, *, base_url: str, every_s: float = 2.0) -> None:
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._scheduler.add_job(
            drain,
            "interval",
            seconds=every_s,
            kwargs={"engine": engine, "base_url": base_url},
            id="print-jobs",
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.add_job(
            purge, "interval", hours=1, args=[engine], id="purge-print-jobs"
        )

    def start(self) -> None:
        self._scheduler.start()

    def kick(self) -> None:
        """Look at the queue now rather than at the next tick."""
        self._scheduler.modify_job("print-jobs", next_run_time=datetime.now(UTC))

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=True)
