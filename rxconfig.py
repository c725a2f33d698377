"""Reflex configuration. Nothing here is environment-specific: every URL comes from the environment.

- ``REFLEX_API_URL``: where the browser finds the Reflex backend (websocket ``/_event``). Reflex reads it
  itself; unset, it is ``http://localhost:<backend port>``. An export for CloudFront is built with the
  public origin (the backend is routed on the same origin).
- ``TMP_API_URL``: where the Reflex backend finds the REST API (``backend.client`` reads it).
- ``TMP_APP_URL``: where the UI is served (``http://localhost:3000`` unset). With ``REFLEX_API_URL`` it makes the
  app's own origins, the only ones the backend allows for CORS and the websocket (a page elsewhere gets no
  ``Access-Control-Allow-*`` headers and its ``/_event`` upgrade is refused). ``REFLEX_CORS_ALLOWED_ORIGINS``
  (comma-separated) overrides the list.

The backend (and the dev UI server, ``ListenWhereTheBackendDoes``) listen on 127.0.0.1 unless ``--backend-host``
says otherwise: ``make run`` is reachable from this machine only (``TASKMANAGER_EXPOSE`` opts in, README), and the
Fargate image passes ``--backend-host 0.0.0.0`` (Dockerfile).
"""

import dataclasses
import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import reflex as rx
from reflex import constants

from backend.origins import app_origins, is_loopback_name

APP_URL = os.environ.get("TMP_APP_URL", "http://localhost:3000")
APP_HOST = urlsplit(APP_URL).hostname or "localhost"
LOOPBACK = "127.0.0.1"
VITE_PLUGIN = "taskmanager-listen-host"


@dataclasses.dataclass
class ListenWhereTheBackendDoes(rx.plugins.Plugin):
    """The dev UI server (Vite, ``reflex run`` in dev mode) binds the backend's host, not every interface.

    Reflex starts it as ``react-router dev --host`` (all interfaces) and a CLI flag beats ``server.host`` in the
    config file; a Vite plugin's ``config`` hook runs after that merge, so it has the last word.
    """

    def pre_compile(self, **context: Any) -> None:
        host = rx.config.get_config().backend_host
        context["add_modify_task"](constants.ReactRouter.VITE_CONFIG_FILE, bind_vite_to(host))


def bind_vite_to(host: str) -> Callable[[str], str]:
    """Adds a Vite plugin to ``vite.config.js`` that sets ``server.host`` (once, replacing an earlier one)."""
    anchor = "  plugins: ["
    plugin = f'{{ name: "{VITE_PLUGIN}", config: () => ({{ server: {{ host: {json.dumps(host)} }} }}) }},'

    def modify(content: str) -> str:
        content = "".join(line for line in content.splitlines(keepends=True) if VITE_PLUGIN not in line)
        if anchor not in content:
            raise RuntimeError(f"vite.config.js has no {anchor.strip()!r} to add the listen host to (Reflex upgrade?)")
        return content.replace(anchor, f"{anchor}\n    {plugin}", 1)

    return modify


config = rx.Config(
    app_name="taskmanager_pro",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    backend_host=LOOPBACK,
    cors_allowed_origins=app_origins([APP_URL, os.environ.get("REFLEX_API_URL")]),
    # The dev UI server answers only Host headers it knows: the exposed name too (TASKMANAGER_EXPOSE=<name>).
    vite_allowed_hosts=[] if is_loopback_name(APP_HOST) else [APP_HOST],
    # Every page but the app shell sits behind sign-in: a sitemap would only list sign-in forms.
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium")),
        ListenWhereTheBackendDoes(),
    ],
)
