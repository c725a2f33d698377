"""Reflex configuration. Nothing here is environment-specific: every URL comes from the environment.

- ``REFLEX_API_URL``: where the browser finds the Reflex backend (websocket ``/_event``). Reflex reads it
  itself; unset, it is ``http://localhost:<backend port>``. An export for CloudFront is built with the
  public origin (the backend is routed on the same origin).
- ``TMP_API_URL``: where the Reflex backend finds the REST API (``backend.client`` reads it).
"""

import reflex as rx

config = rx.Config(
    app_name="taskmanager_pro",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Every page but the app shell sits behind sign-in: a sitemap would only list sign-in forms.
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
)
