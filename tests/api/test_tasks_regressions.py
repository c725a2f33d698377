"""Regressions found while testing the tasks API: long quick-add lines, label limits, lost races."""

import threading
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import SignedInUser, api_url, auth, local, make_user  # noqa: F401


def test_quick_add_of_a_long_line_is_not_a_500(api_url: str, make_user: Callable[[], SignedInUser]) -> None:  # noqa: F811
    with httpx.Client(base_url=api_url, headers=make_user().headers, timeout=30) as http:
        response = http.post("/quick-add/parse", json={"text": "x" * 600})
    assert response.status_code == 200, response.text
    assert len(response.json()["task"]["title"]) <= 500


def test_labels_beyond_ten_are_refused_not_dropped(api_url: str, make_user: Callable[[], SignedInUser]) -> None:  # noqa: F811
    with httpx.Client(base_url=api_url, headers=make_user().headers, timeout=30) as http:
        ids = [http.post("/labels", json={"name": f"n{i}"}).json()["id"] for i in range(10)]
        response = http.post("/tasks", json={"title": "many", "labels": ids, "label_names": ["extra"]})
        names = [label["name"] for label in http.get("/labels").json()]
    assert response.status_code == 400, response.text
    assert "extra" not in names, "a refused task must not leave a new label behind"


def test_a_patch_that_loses_the_race_gets_the_current_task(api_url: str, make_user: Callable[[], SignedInUser]) -> None:  # noqa: F811
    headers = make_user().headers
    with httpx.Client(base_url=api_url, headers=headers, timeout=60) as http:
        task = http.post("/tasks", json={"title": "contended"}).json()
    barrier = threading.Barrier(10)
    bodies: list[dict[str, Any]] = []

    def writer(n: int) -> None:
        with httpx.Client(base_url=api_url, headers=headers, timeout=60) as http:
            barrier.wait()
            response = http.patch(f"/tasks/{task['id']}", json={"version": 1, "title": f"w{n}"})
            if response.status_code == 409:
                bodies.append(response.json())

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted({b["error"]["code"] for b in bodies})
    with_current = sum("current" in b for b in bodies)
    assert bodies, "ten writers with one version: nine must lose"
    assert codes == ["stale_version"], f"409 codes {codes}"
    assert with_current == len(bodies), f"{with_current}/{len(bodies)} 409 answers carry 'current'"
