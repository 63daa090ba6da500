"""Print jobs: more than one sheet of labels is rendered in the background."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from banques import db
from banques.accounts.models import Role
from banques.accounts.service import principal_for
from banques.documents import jobs, rendering, service
from banques.documents.models import JobStatus, PrintJob
from banques.documents.schemas import BlankLabelsRequest, LabelsRequest
from banques.errors import Conflict, NotFound
from banques.sqltypes import utcnow
from tests.banques.documents.helpers import BASE_URL, decode_cells
from tests.factories import Tenant, auth, make_tenant, make_user


@pytest.fixture
def tenant(engine: Engine) -> Tenant:
    with db.transaction(engine) as session:
        return make_tenant(session, "JOB")


def queue_blank(engine: Engine, tenant: Tenant, count: int) -> PrintJob:
    """Blank labels for the tenant's technician, committed."""
    with db.transaction(engine) as session:
        who = principal_for(session, tenant.users[Role.technician])
        result = service.blank_labels(
            session, who, BlankLabelsRequest(count=count), base_url=BASE_URL
        )
        assert isinstance(result, PrintJob)
        return result


def job(engine: Engine, job_id: object) -> PrintJob:
    with Session(engine) as session:
        found = session.get(PrintJob, job_id)
        assert found is not None
        return found


def test_one_sheet_is_rendered_at_once_more_is_queued(
    engine: Engine, tenant: Tenant
) -> None:
    with db.transaction(engine) as session:
        who = principal_for(session, tenant.users[Role.technician])
        sheet = service.blank_labels(
            session, who, BlankLabelsRequest(count=65), base_url=BASE_URL
        )
        assert isinstance(sheet, rendering.Document)
    queued = queue_blank(engine, tenant, 66)
    assert (queued.status, queued.label_count) == (JobStatus.queued, 66)


def test_a_queued_job_is_rendered_by_the_runner_and_decodes(
    engine: Engine, tenant: Tenant
) -> None:
    queued = queue_blank(engine, tenant, 70)
    assert jobs.drain(engine, base_url=BASE_URL) == 1
    assert jobs.drain(engine, base_url=BASE_URL) == 0  # taken once
    done = job(engine, queued.id)
    assert done.status is JobStatus.done
    assert done.attempts == 1
    assert done.filename is not None
    assert done.filename.endswith("-L7651.pdf")
    assert done.content is not None
    pages = decode_cells(done.content, "L7651", 65)
    assert [len(p) for p in pages] == [65, 65]  # 65 + 5 labels, then empty cells
    assert pages[1][4].endswith(queued.labels[-1][0])
    assert pages[1][5] == ""
    with Session(engine) as session:
        who = principal_for(session, tenant.users[Role.technician])
        document = jobs.job_document(session, who, queued.id)
        assert document.content == done.content


def test_a_job_is_seen_by_its_organisation_and_the_bank_coordinators(
    engine: Engine, tenant: Tenant
) -> None:
    queued = queue_blank(engine, tenant, 66)
    with Session(engine) as session:
        coordinator = principal_for(session, tenant.users[Role.coordinator])
        assert jobs.get_job(session, coordinator, queued.id).id == queued.id
        other = principal_for(session, tenant.other_technician)  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            jobs.get_job(session, other, queued.id)
        stranger = make_tenant(session, "JOC").users[Role.technician]
        with pytest.raises(NotFound):
            jobs.job_document(session, principal_for(session, stranger), queued.id)


def test_the_document_is_409_until_ready_and_after_a_failure(
    engine: Engine, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued = queue_blank(engine, tenant, 66)
    with Session(engine) as session:
        who = principal_for(session, tenant.users[Role.technician])
        with pytest.raises(jobs.JobNotReady):
            jobs.job_document(session, who, queued.id)

    def broken(*_args: object, **_kwargs: object) -> bytes:
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(rendering, "label_sheet_pdf", broken)
    assert jobs.drain(engine, base_url=BASE_URL) == 1
    failed = job(engine, queued.id)
    assert (failed.status, failed.content) == (JobStatus.failed, None)
    with Session(engine) as session, pytest.raises(Conflict, match="échoué"):
        jobs.job_document(session, who, queued.id)


def test_an_interrupted_job_is_taken_again_then_given_up(
    engine: Engine, tenant: Tenant
) -> None:
    queued = queue_blank(engine, tenant, 66)

    def interrupted(attempts: int) -> None:
        """As if the process rendering it had died long ago."""
        with db.transaction(engine) as session:
            row = session.get(PrintJob, queued.id)
            assert row is not None
            row.status, row.attempts = JobStatus.running, attempts
            row.started_at = utcnow() - jobs.STALE - timedelta(seconds=1)
            session.add(row)

    interrupted(1)
    assert jobs.drain(engine, base_url=BASE_URL) == 1
    assert job(engine, queued.id).status is JobStatus.done
    interrupted(jobs.MAX_ATTEMPTS)
    assert jobs.drain(engine, base_url=BASE_URL) == 0
    assert job(engine, queued.id).status is JobStatus.failed


def test_a_running_job_is_not_taken_twice(engine: Engine, tenant: Tenant) -> None:
    queued = queue_blank(engine, tenant, 66)
    with db.transaction(engine) as session:
        row = session.get(PrintJob, queued.id)
        assert row is not None
        row.status, row.started_at = JobStatus.running, utcnow()
        session.add(row)
    assert jobs.drain(engine, base_url=BASE_URL) == 0


def test_finished_jobs_are_forgotten_after_a_day(
    engine: Engine, tenant: Tenant
) -> None:
    queue_blank(engine, tenant, 66)
    jobs.drain(engine, base_url=BASE_URL)
    jobs.purge(engine, now=utcnow() + jobs.KEEP - timedelta(minutes=1))
    with Session(engine) as session:
        assert len(session.exec(select(PrintJob)).all()) == 1
    jobs.purge(engine, now=utcnow() + jobs.KEEP + timedelta(minutes=1))
    with Session(engine) as session:
        assert session.exec(select(PrintJob)).all() == []


def test_device_labels_over_a_sheet_are_queued_for_visible_devices_only(
    engine: Engine, tenant: Tenant
) -> None:
    tags = [fields[0] for fields in queue_blank(engine, tenant, 66).labels]
    with db.transaction(engine) as session:
        who = principal_for(session, tenant.users[Role.technician])
        reprint = service.device_labels(
            session, who, LabelsRequest(asset_tags=tags), base_url=BASE_URL
        )
        assert isinstance(reprint, PrintJob)
        assert [f[0] for f in reprint.labels] == tags
        peer = principal_for(
            session, make_user(session, tenant.orgs["association2"], Role.technician)
        )
        with pytest.raises(NotFound):
            service.device_labels(
                session, peer, LabelsRequest(asset_tags=tags), base_url=BASE_URL
            )


def test_over_http_202_then_the_document(client: TestClient, tenant: Tenant) -> None:
    """The real runner of the app (started with it) renders the job."""
    headers = auth(tenant.users[Role.technician])
    answer = client.post(
        "/api/v1/documents/blank-labels", headers=headers, json={"count": 100}
    )
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] in ("queued", "running", "done")
    assert answer.headers["location"] == f"/api/v1/documents/jobs/{body['id']}"
    deadline = time.monotonic() + 30
    while body["status"] != "done":
        assert body["status"] != "failed"
        assert time.monotonic() < deadline, "the print job was not rendered"
        time.sleep(0.1)
        body = client.get(answer.headers["location"], headers=headers).json()
    document = client.get(body["document_url"], headers=headers)
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert "attachment" in document.headers["content-disposition"]
    assert [len(p) for p in decode_cells(document.content, "L7651", 65)] == [65, 65]
    stranger = auth(tenant.other_technician)  # type: ignore[arg-type]
    assert client.get(answer.headers["location"], headers=stranger).status_code == 404


def test_a_kick_runs_the_queue_without_waiting_for_the_next_tick(
    engine: Engine, tenant: Tenant
) -> None:
    runner = jobs.JobRunner(engine, base_url=BASE_URL, every_s=3600)
    runner.start()
    try:
        # An interval job first runs one interval after the start: an hour away.
        queued = queue_blank(engine, tenant, 66)
        runner.kick()
        deadline = time.monotonic() + 30
        while job(engine, queued.id).status is not JobStatus.done:
            assert time.monotonic() < deadline, "the kick did not run the queue"
            time.sleep(0.05)
    finally:
        runner.shutdown()
