"""The ``banques`` command line: serve, migrate, demo data, users and API keys."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer
from sqlmodel import select

from banques import db
from banques.accounts import security
from banques.accounts.models import ApiKey, Organisation, Role, User
from banques.config import Environment, get_settings

app = typer.Typer(
    help="Banques solidaires du numérique éducatif.", no_args_is_help=True
)
db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
user_app = typer.Typer(help="Comptes utilisateurs.", no_args_is_help=True)
apikey_app = typer.Typer(help="Clés d'API des clients machines.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Adresse d'écoute")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Processus uvicorn")] = 1,
    demo: Annotated[bool, typer.Option(help="Charger la banque de démo")] = False,
) -> None:
    """Lance le service HTTP (migre la base au démarrage)."""
    import uvicorn

    settings = get_settings()
    db.upgrade(settings.database_url)
    if demo:
        _load_demo(as_json=False)
    typer.echo(f"Service sur http://{host}:{port}  (documentation : /docs)")
    uvicorn.run(
        "banques.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Applique les migrations Alembic."""
    db.upgrade(get_settings().database_url, revision)
    typer.echo(f"Base à jour ({revision}).")


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Sortie JSON")] = False,
) -> None:
    """Charge la banque de démo « Métropole de Lyon » (idempotent)."""
    db.upgrade(get_settings().database_url)
    _load_demo(as_json=as_json)


def _load_demo(*, as_json: bool) -> None:
    from banques.demo import DEFAULT_DEMO_PASSWORD, load_demo

    settings = get_settings()
    if settings.environment is Environment.production:
        raise typer.BadParameter("pas de données de démo en production")
    password = (
        settings.demo_password.get_secret_value()
        if settings.demo_password
        else DEFAULT_DEMO_PASSWORD
    )
    engine = db.settings_engine(settings)
    with db.transaction(engine) as session:
        result = load_demo(session, password=password)
    engine.dispose()
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return
    verb = "créée" if result.created else "déjà présente"
    typer.echo(f"Banque de démo {verb} : {result.bank}")
    typer.echo(
        "Comptes de démonstration (e-mail / mot de passe / rôle / organisation) :"
    )
    for u in result.users:
        typer.echo(f"  {u.email:<48} {u.password}  {u.role:<13} {u.organisation}")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option()],
    full_name: Annotated[str, typer.Option("--name")],
    role: Annotated[Role, typer.Option()],
    organisation_id: Annotated[uuid.UUID, typer.Option("--organisation")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ],
) -> None:
    """Crée un compte (administration de la plateforme)."""
    if len(password) < 12:
        raise typer.BadParameter("12 caractères au moins", param_hint="--password")
    settings = get_settings()
    engine = db.settings_engine(settings)
    with db.transaction(engine) as session:
        if session.get(Organisation, organisation_id) is None:
            raise typer.BadParameter(
                "organisation inconnue", param_hint="--organisation"
            )
        if session.exec(select(User).where(User.email == email.lower())).first():
            raise typer.BadParameter("adresse déjà utilisée", param_hint="--email")
        user = User(
            organisation_id=organisation_id,
            email=email.lower(),
            full_name=full_name,
            role=role,
            password_hash=security.hash_password(password),
        )
        session.add(user)
        session.flush()
        typer.echo(f"Compte créé : {user.id} {user.email} ({role.value})")


@apikey_app.command("create")
def apikey_create(
    email: Annotated[str, typer.Option(help="Compte propriétaire de la clé")],
    name: Annotated[str, typer.Option(help="Nom du client machine")],
) -> None:
    """Crée une clé d'API ; elle n'est affichée qu'une fois."""
    settings = get_settings()
    engine = db.settings_engine(settings)
    with db.transaction(engine) as session:
        user = session.exec(select(User).where(User.email == email.lower())).first()
        if user is None:
            raise typer.BadParameter("compte inconnu", param_hint="--email")
        new = security.new_api_key()
        session.add(
            ApiKey(user_id=user.id, name=name, prefix=new.prefix, key_hash=new.key_hash)
        )
    typer.echo(new.secret)


if __name__ == "__main__":
    app()
