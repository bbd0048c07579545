"""`python -m portal`: serve the portal alone (the services answer elsewhere, at the
`CHORUS_*_URL` settings, by default this machine's `chorus up`)."""

import sys

import uvicorn

from chorus.errors import SettingsError
from chorus.telemetry import setup_logging, setup_tracing
from portal.bootstrap import create_app, port_of
from portal.settings import load


def main() -> None:
    setup_logging(service="portal")
    setup_tracing("portal")
    try:
        settings = load()
        app = create_app(settings)
    except SettingsError as error:
        print(f"portal: {error}", file=sys.stderr)
        sys.exit(2)
    uvicorn.run(app, host=settings.host, port=port_of(settings), log_config=None,
                access_log=False)


if __name__ == "__main__":
    main()
