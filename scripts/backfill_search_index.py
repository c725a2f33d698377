"""Index the tasks of some users for search ahead of time (issue 18).

Not needed for correctness: a user without the ``WIDX`` marker is backfilled on their first search. Use it to spare
a heavy user that first, slower search, or after restoring tasks written around the write path. Idempotent.

    PYTHONPATH=. python -m scripts.backfill_search_index <user id> [<user id> ...]

It uses the environment of the API (``TMP_*`` settings; locally ``make run``'s, see docs/local-aws.md).
"""

from __future__ import annotations

import argparse

from backend.adapters.task_store.store import DynamoTaskStore
from backend.bootstrap import dependencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.backfill_search_index", description=__doc__.splitlines()[0]
    )
    parser.add_argument("user_ids", nargs="+", help="Cognito sub of each user")
    args = parser.parse_args(argv)
    dependencies()  # points the models at this stage's table
    store = DynamoTaskStore()
    for user_id in args.user_ids:
        print(f"{user_id}: {store.backfill_search_index(user_id)} index entries written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
