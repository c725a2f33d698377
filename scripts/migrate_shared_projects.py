"""Issue 13's migration of a stage's data (decision §31): ``backend/adapters/task_store/migration.py`` does it.

    PYTHONPATH=. python -m scripts.migrate_shared_projects --stage prod [--endpoint URL] [--create-indexes]

On AWS, deploy first (the CDK adds the new index; without ``--create-indexes`` the script only reports an index
the table lacks, and then stops before touching an item); the local run migrates itself at start-up. Every step is
idempotent: run it again after a crash, or to check (a second run reports nothing changed).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

import boto3

from backend.adapters.task_store.migration import migrate
from backend.names import ResourceNames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument("--endpoint", default=None, help="a local emulator's URL (default: AWS)")
    parser.add_argument("--create-indexes", action="store_true", help="add missing GSIs (local tables only)")
    args = parser.parse_args(argv)
    names = ResourceNames(args.stage)
    dynamodb = boto3.client("dynamodb", region_name=args.region, endpoint_url=args.endpoint)
    report = migrate(
        dynamodb, users_table=names.users_table, tasks_table=names.tasks_table, create_indexes=args.create_indexes
    )
    print(json.dumps(asdict(report), indent=2))
    if report.indexes_missing:
        print(f"missing indexes {report.indexes_missing}: deploy the stack first", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
