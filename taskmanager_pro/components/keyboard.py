# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Keyboard shortcuts: one window ``keydown`` listener per page, and the help overlay (``?``).

Reflex has no key bindings of its own beyond ``rx.window_event_listener``, which forwards every key (typing in
an input included) and cannot tell which row has the focus. So this small component installs its own listener
(a React effect, the pattern of ``WindowEventListener``) that:

- ignores keys typed into inputs, text areas, selects and editable content, keys with Ctrl/Alt/Meta, and
  every key while a dialog or the detail panel is open (they have their own keys: Esc, Tab, Enter);
- moves the focus between task rows itself (``j``/``k``: rows are focusable, ``[data-task-row]``), so moving
  costs no round trip and the focus is the browser's real focus (visible, read by screen readers);
- sends only actions to the server: ``shortcut(action, task_id)`` with the id of the focused row.

``window.tmpFocusRow(i)`` lets a handler put the focus back on a row after the list changed
(``rx.call_script``), e.g. on the next row after completing one with ``c``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("q", "Quick add a task"),
    ("j / k", "Next / previous task"),
    ("Enter or e", "Open the focused task"),
    ("c", "Complete the focused task"),
    ("x", "Select the focused task (bulk actions)"),
    ("] / [", "Indent the focused task under the one above / outdent it (a list in its own order)"),
    ("Delete", "Delete the focused task (asks first)"),
    ("↓ ← →", "In quick add: to the suggestions and between them (Enter picks, Esc goes back)"),
    ("?", "Show this help"),
    ("Esc", "Close a dialog or the task panel"),
)

_LISTENER = """
useEffect(() => {
    if (typeof window === 'undefined') return;
    const send = %(send)s;
    const rows = () => Array.from(document.querySelectorAll('[data-task-row]'));
    const typing = (el) => !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
    const focusRow = (index) => {
        const all = rows();
        if (!all.length) return;
        const row = all[Math.max(0, Math.min(index, all.length - 1))];
        row.focus();
        row.scrollIntoView({block: 'nearest'});
    };
    window.tmpFocusRow = (index) => window.requestAnimationFrame(() => focusRow(index));
    window.tmpFocusTask = (id) => window.requestAnimationFrame(() => focusRow(rows().findIndex(
        (row) => row.getAttribute('data-task-id') === id)));
    // A task just added (or moved) out of sight: bring it into view, without taking the focus from the input.
    window.tmpRevealTask = (id) => window.requestAnimationFrame(() => {
        const row = rows().find((r) => r.getAttribute('data-task-id') === id);
        if (row) row.scrollIntoView({block: 'nearest', behavior: 'smooth'});
    });
    // Esc in a field of a dialog (the task panel): leave the field first, so its on_blur save is sent
    // before the dialog closes (a field removed with its dialog never fires blur).
    const onEscape = (e) => {
        const el = document.activeElement;
        if (e.key === 'Escape' && el && el.closest && el.closest('[role="dialog"]') && typing(el)) el.blur();
    };
    const onKey = (e) => {
        if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
        if (typing(e.target) || typing(document.activeElement)) return;
        if (document.querySelector('[role="dialog"], [role="alertdialog"]')) return;
        const active = document.activeElement;
        const row = active && active.closest ? active.closest('[data-task-row]') : null;
        const onControl = !!active && active !== row && ['BUTTON', 'A'].includes(active.tagName);
        const index = row ? rows().indexOf(row) : -1;
        let action = '';
        switch (e.key) {
            case 'j': focusRow(index + 1); break;
            case 'k': focusRow(index < 0 ? 0 : index - 1); break;
            case 'q': case 'Q': action = 'quick_add'; break;
            case '?': action = 'help'; break;
            case 'Enter': if (!row || onControl) return; action = 'open'; break;
            case 'e': action = 'open'; break;
            case 'c': action = 'complete'; break;
            case 'x': action = 'select'; break;
            case ']': action = 'indent'; break;
            case '[': action = 'outdent'; break;
            case 'Delete': case 'Backspace': action = 'delete'; break;
            default: return;
        }
        e.preventDefault();
        if (!action) return;
        if (['open', 'complete', 'select', 'delete', 'indent', 'outdent'].includes(action) && !row) return;
        send(action, row ? row.getAttribute('data-task-id') || '' : '');
    };
    // The quick-add suggestions (components/quick_add.py): Down from the input reaches the first one, the arrows
    // move between them, Enter or Space picks the focused one (a button), Esc goes back to the input.
    const quickAddInputs = ['quick-add-input', 'quick-add-dialog-input'];
    const onSuggestionKey = (e) => {
        const el = e.target;
        if (!(el instanceof HTMLElement) || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
        const block = el.closest('[data-quick-add]');
        if (!block) return;
        const all = Array.from(block.querySelectorAll('.tmp-suggestion'));
        const input = block.querySelector(quickAddInputs.map((id) => '#' + id).join(','));
        const at = all.indexOf(el);
        let next = null;
        if (quickAddInputs.includes(el.id)) next = e.key === 'ArrowDown' ? all[0] : null;
        else if (at >= 0 && ['ArrowRight', 'ArrowDown'].includes(e.key)) next = all[(at + 1) %% all.length];
        else if (at >= 0 && ['ArrowLeft', 'ArrowUp'].includes(e.key)) next = at > 0 ? all[at - 1] : input;
        else if (at >= 0 && e.key === 'Escape') next = input;
        if (!next) return;
        e.preventDefault();
        e.stopPropagation();  // (Esc: the dialog stays open; arrows: no row moves)
        next.focus();
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('keydown', onEscape, true);  // capture: before Radix closes the dialog
    window.addEventListener('keydown', onSuggestionKey, true);
    return () => {
        window.removeEventListener('keydown', onKey);
        window.removeEventListener('keydown', onEscape, true);
        window.removeEventListener('keydown', onSuggestionKey, true);
    };
}, []);
"""


def _shortcut_args(action: Var[str], task_id: Var[str]) -> tuple[Var[str], Var[str]]:
    return (action, task_id)


class ShortcutListener(rx.Fragment):  # type: ignore[misc]
    """Renders nothing; listens to the window's keys while mounted."""

    # Reflex reads the arguments' spec from this annotation (not a type mypy knows).
    on_shortcut: rx.EventHandler[_shortcut_args]  # type: ignore[type-arg,valid-type]

    @classmethod
    def create(cls, *children: Any, **props: Any) -> ShortcutListener:
        from reflex_base.components.memoize_helpers import get_memoized_event_triggers

        component: ShortcutListener = super().create(*children, **props)  # type: ignore[assignment]
        memoized = get_memoized_event_triggers(component)
        if memoized:  # a stable callback (useCallback), as WindowEventListener does
            component.event_triggers = {**component.event_triggers, **memoized}
        return component

    def _exclude_props(self) -> list[str]:
        return [*super()._exclude_props(), *self.event_triggers.keys()]

    def add_hooks(self) -> list[str | Var[Any]]:
        trigger = self.event_triggers.get("on_shortcut")
        if trigger is None:
            return []
        return [Var(_LISTENER % {"send": Var.create(trigger)})]


shortcut_listener = ShortcutListener.create


def key(text: str) -> rx.Component:
    return rx.code(text, variant="outline", size="2", white_space="nowrap")


def help_overlay(open_: Any, on_open_change: Any) -> rx.Component:
    """The list of shortcuts (``?``)."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Keyboard shortcuts"),
            rx.dialog.description(
                "They work anywhere outside a text field.", size="2", color_scheme="gray", margin_bottom="3"
            ),
            rx.table.root(
                rx.table.body(
                    *[
                        rx.table.row(
                            rx.table.cell(rx.hstack(*[key(k) for k in keys.split(" ") if k not in {"/", "or"}])),
                            rx.table.cell(text),
                        )
                        for keys, text in SHORTCUTS
                    ]
                ),
                size="1",
                width="100%",
            ),
            rx.flex(
                rx.dialog.close(rx.button("Close", variant="soft")),
                justify="end",
                margin_top="4",
            ),
            max_width="28em",
        ),
        open=open_,
        on_open_change=on_open_change,
    )
