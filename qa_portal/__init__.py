"""AP QA Portal: quality assurance of alternative provision for school partnerships."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from qa_portal import cli, config, storage, terms, web
from qa_portal.db import db
from qa_portal.extensions import csrf, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    config.check_production(app.config)
    terms.init_app(app)
    logging.basicConfig(level=logging.INFO)

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=app.config["TRUSTED_PROXIES"]
        )

    from qa_portal import models  # noqa: F401  (every table registered before use)

    db.init_app(app)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    app.before_request(web.allow_uploads)
    csrf.init_app(app)
    storage.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from qa_portal.accounts.views import bp as accounts_bp
    from qa_portal.admin.views import bp as admin_bp
    from qa_portal.concerns.views import bp as concerns_bp
    from qa_portal.contracts.views import bp as contracts_bp
    from qa_portal.frameworks.views import bp as frameworks_bp
    from qa_portal.main.views import bp as main_bp
    from qa_portal.partnerships.views import bp as partnerships_bp
    from qa_portal.placements.views import bp as placements_bp
    from qa_portal.providers.views import bp as providers_bp
    from qa_portal.pupils.views import bp as pupils_bp
    from qa_portal.registration.views import bp as registration_bp
    from qa_portal.returns.views import bp as returns_bp
    from qa_portal.visits.views import bp as visits_bp

    for blueprint in (
        main_bp,
        accounts_bp,
        partnerships_bp,
        providers_bp,
        pupils_bp,
        visits_bp,
        contracts_bp,
        concerns_bp,
        placements_bp,
        registration_bp,
        returns_bp,
        frameworks_bp,
        admin_bp,
    ):
        app.register_blueprint(blueprint)
