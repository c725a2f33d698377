"""Projects (lists) and labels of the caller."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.auth import caller, caller_id
from backend.api.openapi import AUTHENTICATED
from backend.api.responses import created, documented, no_content
from backend.bootstrap import dependencies
from backend.presenters import label_public, project_public
from backend.schemas import Id, LabelCreate, LabelPublic, LabelUpdate, ProjectCreate, ProjectPublic, ProjectUpdate
from backend.services import projects
from backend.services.attachments import TaskAttachmentCleanup
from backend.services.comments import TaskCommentCleanup

router = APIGatewayRouter()


@router.get(
    "/projects",
    summary="My projects, personal and shared, each with my role (the Inbox first, then in my order)",
    tags=["projects"],
    security=AUTHENTICATED,
    responses=documented(),
)
def list_projects() -> list[ProjectPublic]:
    """Shared projects too (issue 13), each with the caller's ``role`` and its ``members``."""
    deps = dependencies()
    items = projects.list_visible(store=deps.tasks, memberships=deps.memberships, user=caller(router), now=deps.clock())
    return [project_public(p.project, role=p.role, members=p.members) for p in items]


@router.post(
    "/projects",
    summary="Create a project",
    tags=["projects"],
    security=AUTHENTICATED,
    responses=documented(ProjectPublic),
)
def create_project(data: Annotated[ProjectCreate, Body()]) -> Response[str]:
    deps = dependencies()
    project = projects.create_project(
        store=deps.tasks, user_id=caller_id(router), data=data, now=deps.clock(), quotas=deps.settings.quotas
    )
    return created(project_public(project))


@router.get(
    "/projects/<project_id>", summary="One project", tags=["projects"], security=AUTHENTICATED, responses=documented()
)
def get_project(project_id: Annotated[Id, Path()]) -> ProjectPublic:
    deps = dependencies()
    found = projects.visible_project(
        store=deps.tasks, memberships=deps.memberships, user=caller(router), project_id=project_id, now=deps.clock()
    )
    return project_public(found.project, role=found.role, members=found.members)


@router.patch(
    "/projects/<project_id>",
    summary="Rename, recolour, reorder, archive",
    tags=["projects"],
    security=AUTHENTICATED,
    responses=documented(),
)
def update_project(project_id: Annotated[Id, Path()], changes: Annotated[ProjectUpdate, Body()]) -> ProjectPublic:
    deps = dependencies()
    user = caller(router)
    project = projects.update_project(
        store=deps.tasks,
        user_id=user.id,
        project_id=project_id,
        changes=changes,
        now=deps.clock(),
        memberships=deps.memberships,
        user=user,
    )
    if project_id in user.shared_projects:
        found = projects.visible_project(
            store=deps.tasks, memberships=deps.memberships, user=user, project_id=project_id, now=deps.clock()
        )
        return project_public(project, role=found.role, members=found.members)
    return project_public(project)


@router.delete(
    "/projects/<project_id>",
    summary="Delete a project and its tasks",
    tags=["projects"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def delete_project(project_id: Annotated[Id, Path()]) -> Response[None]:
    deps = dependencies()
    cleanup = TaskCommentCleanup(deps.comments, then=TaskAttachmentCleanup(deps.attachments, deps.storage))
    user = caller(router)
    projects.delete_project(
        store=deps.tasks,
        user_id=user.id,
        project_id=project_id,
        now=deps.clock(),
        on_deleted=cleanup,
        memberships=deps.memberships,
        user=user,
    )
    return no_content()


@router.get("/labels", summary="My labels", tags=["labels"], security=AUTHENTICATED, responses=documented())
def list_labels() -> list[LabelPublic]:
    return [label_public(label) for label in dependencies().tasks.list_labels(caller_id(router))]


@router.post(
    "/labels", summary="Create a label", tags=["labels"], security=AUTHENTICATED, responses=documented(LabelPublic)
)
def create_label(data: Annotated[LabelCreate, Body()]) -> Response[str]:
    deps = dependencies()
    label = projects.create_label(
        store=deps.tasks, user_id=caller_id(router), data=data, now=deps.clock(), quotas=deps.settings.quotas
    )
    return created(label_public(label))


@router.get("/labels/<label_id>", summary="One label", tags=["labels"], security=AUTHENTICATED, responses=documented())
def get_label(label_id: Annotated[Id, Path()]) -> LabelPublic:
    return label_public(projects.owned_label(dependencies().tasks, caller_id(router), label_id))


@router.patch(
    "/labels/<label_id>",
    summary="Rename or recolour a label",
    tags=["labels"],
    security=AUTHENTICATED,
    responses=documented(),
)
def update_label(label_id: Annotated[Id, Path()], changes: Annotated[LabelUpdate, Body()]) -> LabelPublic:
    deps = dependencies()
    label = projects.update_label(
        store=deps.tasks, user_id=caller_id(router), label_id=label_id, changes=changes, now=deps.clock()
    )
    return label_public(label)


@router.delete(
    "/labels/<label_id>",
    summary="Delete a label (and take it off tasks)",
    tags=["labels"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def delete_label(label_id: Annotated[Id, Path()]) -> Response[None]:
    deps = dependencies()
    projects.delete_label(store=deps.tasks, user_id=caller_id(router), label_id=label_id, now=deps.clock())
    return no_content()
