"""The single registry of every table, for Alembic and create_all."""

from banques.accounts.models import ApiKey, Bank, Organisation, User
from banques.db import metadata
from banques.schools.models import School

__all__ = ["ApiKey", "Bank", "Organisation", "School", "User", "metadata"]
