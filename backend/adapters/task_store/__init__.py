"""The Tasks table (one per stage): tasks, projects, labels and label links of every user.

Single-table design, partitioned by user (see docs/data-model.md):
  user_id (PK) | sk (SK)
  ``TASK#<id>``            a task (ULID id: the base table lists a user's tasks by creation time)
  ``PROJECT#<id>``         a project (the Inbox has the id ``inbox``)
  ``LABEL#<id>``           a label
  ``LT#<label>#<task>``    "task has label" link, written in the same transaction as the task
  ``W#<word>#<task>``      search index: "task has word" (backend/domain/search.py), same transaction as the task
  ``WIDX``                 the user's tasks are all in the search index (written with the Inbox, or by the backfill)
  ``USAGE#tasks``          how many tasks the user has (all, open): atomic counters, same transaction as the task
GSIs (all keys prefixed with the user id, so no query can cross users):
  by_status_due  status_pk = user#status       due_sk = due_key#id           Today, Upcoming, overdue, sort=due
  by_priority    status_pk                     priority_sk = p#due_key#id    sort=priority
  by_project     project_pk = user#project     project_sk = status#pos#id    project lists and boards (manual)
  by_completed   done_pk = user (done only)    completed_sk = iso#id         completed view, newest first

Modules, one concern each:
  models.py        PynamoDB models, key prefixes and index definitions (``TASK_TABLE_MODELS`` for the table schema)
  mapping.py       item <-> domain object (tasks, projects, labels, links, search words, stream images)
  cursors.py       list cursors: encode, decode and check they continue the list (and user) they came from
  planner.py       a ``TaskQuery`` -> the index, key condition and filter of one Query; the same criteria in memory
  counters.py      the ``USAGE#tasks`` counters: quota conditions, first count, retry of conflicting transactions
  search_index.py  the ``W#`` word index: lookups, backfill, the ``WIDX`` marker
  projects.py      project and label persistence
  activity.py      a shared project's log: ``L#<ulid>`` rows (``activity_item`` for a write's transaction), paged reads
  comments.py      comments on a task: ``C#<task id>#<ulid>`` in the task's partition, counted on the task
  store.py         ``DynamoTaskStore``, the ``TaskStore`` port, composing the above
"""
