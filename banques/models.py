"""The single registry of every table, for Alembic and create_all."""

from banques.accounts.models import (
    ApiKey,
    Bank,
    LoginFailure,
    Organisation,
    User,
    WebSession,
)
from banques.db import metadata
from banques.devices.models import (
    AssetSequence,
    AssetTag,
    Device,
    DeviceEvent,
    ErasureReport,
    ScanConflict,
)
from banques.documents.models import PrintJob
from banques.schools.models import School

__all__ = [
    "ApiKey",
    "AssetSequence",
    "AssetTag",
    "Bank",
    "Device",
    "DeviceEvent",
    "ErasureReport",
    "LoginFailure",
    "Organisation",
    "PrintJob",
    "ScanConflict",
    "School",
    "User",
    "WebSession",
    "metadata",
]
