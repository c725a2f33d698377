# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Drag and drop: dnd-kit (``@dnd-kit/core``, ``@dnd-kit/sortable``) wrapped as Reflex components.

dnd-kit is hooks-based (``useSortable``, ``useDroppable``, ``useDraggable``), and a hook needs a React component of
its own per item, which ``rx.foreach`` can't give; so each wrapper is a small function component defined once per
page (``add_custom_code``) that renders a ``div`` around the Reflex children. ``DndContext`` is the library's own
component with two sensors built in a hook: the pointer (after 6 px, so a click stays a click) and the keyboard
(Space picks up the focused drag handle, the arrows move, Space or Enter drops, Escape cancels: every drag has a
keyboard equivalent; Enter alone does not pick up, so it still opens a focused task). A drop is one Reflex event
``on_drop(active_id, over_id)``; the state decides what it means from the ids (``state/drops.py``: task rows,
``column:<key>``, ``project:<id>``, ``slot:<date>[T<time>]``).

The versions are pinned here and land in ``reflex.lock/`` (package.json + bun.lock) when Reflex installs them.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var

DND_CORE = "@dnd-kit/core@6.3.1"
DND_SORTABLE = "@dnd-kit/sortable@10.0.0"
DND_UTILITIES = "@dnd-kit/utilities@3.2.2"

# Rows are preferred over the column or sidebar entry around them; without a pointer (the keyboard) the nearest
# droppable's centre decides.
_COLLISION = """
function tmpCollision(args) {
  const within = pointerWithin(args);
  const hits = within.length ? within : closestCenter(args);
  const rows = hits.filter((hit) => !String(hit.id).includes(":"));
  return rows.length ? rows : hits;
}
"""

_WRAPPERS = """
const TmpDragContext = createContext(null);

function tmpFlag(value) {
  return value ? "true" : "false";
}

function TmpSortable({ id, group = "", canDrag = true, canDrop = true, children, ...rest }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging, isOver } =
    useSortable({ id, data: { group }, disabled: { draggable: !canDrag, droppable: !canDrop } });
  const style = {
    transform: CSS.Translate.toString(transform),
    transition,
    position: "relative",
    zIndex: isDragging ? 30 : undefined,
  };
  const handle = canDrag ? { attributes, onKeyDown: listeners && listeners.onKeyDown, setActivatorNodeRef } : null;
  return createElement(
    TmpDragContext.Provider,
    { value: handle },
    createElement(
      "div",
      {
        ...rest,
        ref: setNodeRef,
        style,
        "data-dragging": tmpFlag(isDragging),
        "data-over": tmpFlag(isOver),
        onPointerDown: listeners && listeners.onPointerDown,
      },
      children,
    ),
  );
}

function TmpDragHandle({ label, children, ...rest }) {
  const handle = useContext(TmpDragContext);
  if (!handle) return null;
  return createElement(
    "button",
    {
      ...rest,
      ...handle.attributes,
      type: "button",
      ref: handle.setActivatorNodeRef,
      onKeyDown: handle.onKeyDown,
      onClick: (event) => event.stopPropagation(),
      "aria-label": label,
      title: label,
    },
    children,
  );
}

function TmpDroppable({ id, children, ...rest }) {
  const { setNodeRef, isOver, active } = useDroppable({ id });
  return createElement(
    "div",
    { ...rest, ref: setNodeRef, "data-over": tmpFlag(isOver), "data-drag-active": tmpFlag(active) },
    children,
  );
}

function TmpDraggable({ id, label = "", children, ...rest }) {
  const { attributes, listeners, setNodeRef, transform, isDragging } = useDraggable({ id });
  const style = {
    transform: CSS.Translate.toString(transform),
    position: "relative",
    zIndex: isDragging ? 30 : undefined,
  };
  return createElement(
    "div",
    {
      ...rest,
      ...attributes,
      ...listeners,
      ref: setNodeRef,
      style,
      "aria-label": label,
      "data-dragging": tmpFlag(isDragging),
    },
    children,
  );
}
"""

_SENSORS = (
    "const tmpDndSensors = useSensors("
    "useSensor(PointerSensor, { activationConstraint: { distance: 6 } }), "
    "useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates, "
    "keyboardCodes: { start: ['Space'], cancel: ['Escape'], end: ['Space', 'Enter'] } }));"
)


_ATTRIBUTES = {"role": "role", "tab_index": "tabIndex", "title": "title"}


def _drop_spec(event: Var[Any]) -> tuple[Var[str], Var[str]]:
    """``onDragEnd``'s event as (the dragged id, the id it was dropped on; "" = nowhere)."""
    return (
        Var(_js_expr=f"String({event}.active.id)").to(str),
        Var(_js_expr=f"String({event}.over ? {event}.over.id : '')").to(str),
    )


class _DndLibrary(rx.Component):
    """What every wrapper needs on its page: the pinned packages, imported by name."""

    def add_imports(self) -> dict[str, Any]:
        return {
            "react": ["createElement", "createContext", "useContext"],
            DND_CORE: ["useDroppable", "useDraggable", "pointerWithin", "closestCenter"],
            DND_SORTABLE: ["useSortable"],
            DND_UTILITIES: ["CSS"],
        }

    def add_custom_code(self) -> list[str]:
        return [_COLLISION, _WRAPPERS]

    @classmethod
    def create(cls, *children: Any, **props: Any) -> Any:
        # (Reflex would take these for CSS on a component it doesn't know: they are the div's attributes)
        attributes = {name: props.pop(key) for key, name in _ATTRIBUTES.items() if key in props}
        if attributes:
            props["custom_attrs"] = {**props.get("custom_attrs", {}), **attributes}
        return super().create(*children, **props)


class DndContext(_DndLibrary):
    """dnd-kit's ``DndContext`` with the pointer and keyboard sensors and the app's collision rule."""

    library = DND_CORE
    tag = "DndContext"

    sensors: Var[Any]
    collision_detection: Var[Any]
    on_drag_end: rx.EventHandler[_drop_spec]  # type: ignore[type-arg,valid-type]

    def add_imports(self) -> dict[str, Any]:
        return {
            DND_CORE: ["PointerSensor", "KeyboardSensor", "useSensor", "useSensors"],
            DND_SORTABLE: ["sortableKeyboardCoordinates"],
        }

    def add_hooks(self) -> list[str | Var[Any]]:
        return [_SENSORS]

    @classmethod
    def create(cls, *children: Any, **props: Any) -> DndContext:
        props.setdefault("sensors", Var(_js_expr="tmpDndSensors"))
        props.setdefault("collision_detection", Var(_js_expr="tmpCollision"))
        context: DndContext = super().create(*children, **props)
        return context


class SortableContext(_DndLibrary):
    """The ids of one sortable list (a group or a board column), in their order on screen."""

    library = DND_SORTABLE
    tag = "SortableContext"

    items: Var[list[str]]
    id: Var[str]


class Sortable(_DndLibrary):
    """A row that can be dragged (by the pointer anywhere on it, by the keyboard from its ``drag_handle``) and that
    other rows can be dropped on; ``group`` names its list."""

    tag = "TmpSortable"

    id: Var[str]
    group: Var[str]
    can_drag: Var[bool]
    can_drop: Var[bool]


class DragHandle(_DndLibrary):
    """The keyboard's way in: a button inside a ``Sortable`` (Space picks the row up)."""

    tag = "TmpDragHandle"

    label: Var[str]


class Droppable(_DndLibrary):
    """A place to drop on (a board column, a project in the sidebar, a calendar slot); ``data-over`` while over."""

    tag = "TmpDroppable"

    id: Var[str]


class Draggable(_DndLibrary):
    """Something to drag that is not in a sorted list (a task in the calendar); focusable, Space picks it up."""

    tag = "TmpDraggable"

    id: Var[str]
    label: Var[str]


def dnd_context(*children: Any, on_drop: Any) -> rx.Component:
    return DndContext.create(*children, on_drag_end=on_drop)


def drag_handle(label: Any) -> rx.Component:
    return DragHandle.create(rx.icon("grip-vertical", size=14), label=label, class_name="tmp-drag-handle")


sortable = Sortable.create
sortable_context = SortableContext.create
droppable = Droppable.create
draggable = Draggable.create


__all__ = [
    "dnd_context",
    "drag_handle",
    "draggable",
    "droppable",
    "sortable",
    "sortable_context",
]
