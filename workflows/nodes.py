"""The node kinds `workflows/flows.py` is written with. A human task is completed by a dossier
transition (``perform`` already checked who acts and audited it), never through viewflow:

* ``Stage``: the dossier waits in a status; its queue (``roles``), deadline field and assignee;
  closed by ``StageActivation.close`` from ``workflows.process``.
* ``Route``: "new status X → node Y", no default branch (an unexpected status rolls back).
* ``Ending``: one final status of the dossier.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.timezone import now
from viewflow.workflow import flow
from viewflow.workflow.base import Edge
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.status import STATUS

from fonds.accounts.roles import Role, roles_of
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import FINAL_STATUSES, SYSTEM_ROLE, Status

#: open (not yet completed) task statuses
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)

#: the name of each queue, by the role it belongs to (UI texts)
QUEUE_LABELS = {
    Role.INSTRUCTEUR: "File des instructeurs",
    Role.PORTEUR: "À faire par la commune",
    Role.COMITE: "Comité de sélection",
    Role.FINANCE: "Gestion financière",
    Role.ADMIN: "Administration du fonds",
}

#: lookup path from a viewflow Task to its dossier
TASK_DOSSIER = "process__dossierprocess__dossier"


def _actor(user):
    return user if getattr(user, "is_authenticated", False) else None


class StageActivation(ViewActivation):
    """A stage's task, completed by the dossier transition that made the dossier leave the stage."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        activation = super().create(flow_task, prev_activation, token, data=data, seed=seed)
        task = activation.task
        if task.owner_id and task.assigned is None:  # viewflow leaves it empty on auto-assignment
            task.assigned = task.created
            task.save(update_fields=["assigned"])
        return activation

    def close(self, *, transition: str, by=None, role: str = "", source: str = "", target: str = "") -> None:
        """Complete the task as done by ``by`` (None: the system) and let the flow route onwards.

        Goes through viewflow's own activation transitions (assign → start → execute) so that
        timestamps and viewflow signals stay those of a normal human task. The owner becomes the
        person who actually acted (the system leaves it empty); ``task.data`` records the
        transition, so the task history reads like the audit trail.
        """
        actor = _actor(by)
        task = self.task
        if task.status == STATUS.NEW:
            self.assign(actor)
            task.assigned = now()
        task.owner = actor
        task.data = {
            **(task.data or {}),
            "transition": transition,
            "by": actor.pk if actor else None,
            "role": role,
            "from": source,
            "to": target,
        }
        if task.status == STATUS.ASSIGNED:
            self.start(None)
        self.execute()


class Stage(flow.View):
    """A human task: the dossier waits in ``waits_in`` until someone moves it on.

    :param waits_in: the dossier status this stage stands for.
    :param roles: the queue(s) the task lands in — who is *expected* to act. Other actors may
        still interrupt (a porteur withdraws, the system expires a deadline): the task is then
        completed by them.
    :param deadline: name of the dossier field holding the due date, if any.
    :param assign: ``dossier -> user or None``: the user the task is assigned to on creation.
    """

    activation_class = StageActivation

    # no viewflow screens to execute / assign: the dossier's own screens and API act (perform)
    view_path = None
    assign_view_class = None
    unassign_view_class = None

    def __init__(self, waits_in: str, *, roles: tuple[str, ...], deadline: str | None = None, assign=None):
        super().__init__(view=None)
        if waits_in in FINAL_STATUSES or waits_in == Status.DRAFT:
            raise ValueError(f"A stage cannot wait in {waits_in!r}")
        self.waits_in = Status(waits_in)
        self.roles = tuple(Role(role) for role in roles)
        self.deadline_field = deadline
        self._assign_to = assign
        # written on every task: never granted, so viewflow's native queue is not "open to all"
        self.Permission(f"workflows.queue_{self.queue}")

    # ---- who ---------------------------------------------------------------------------------
    @property
    def queue(self) -> str:
        """The main queue (role) of this stage; ``system`` when no person is expected to act."""
        return self.roles[0] if self.roles else SYSTEM_ROLE

    def calc_owner(self, activation):
        if self._assign_to is None:
            return None
        return self._assign_to(activation.process.dossier)

    def in_queue(self, user, dossier, owner_id=None) -> bool:
        """Whether ``user`` sees this stage's task of ``dossier`` in one of their queues."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if owner_id is not None and owner_id != user.pk:
            return False
        held = roles_of(user)
        for role in self.roles:
            if role not in held:
                continue
            if role == Role.PORTEUR and (user.commune_id is None or user.commune_id != dossier.commune_id):
                continue
            if role == Role.COMITE and dossier.instructor_id == user.pk:
                continue  # never instruct and vote on the same dossier
            return True
        return False

    def queue_filter(self, user) -> Q | None:
        """The SQL version of ``in_queue`` over viewflow tasks (None: nothing for this user)."""
        held = roles_of(user)
        parts = []
        for role in self.roles:
            if role not in held:
                continue
            if role == Role.PORTEUR:
                if user.commune_id is None:
                    continue
                parts.append(Q(**{f"{TASK_DOSSIER}__commune_id": user.commune_id}))
            elif role == Role.COMITE:
                parts.append(~Q(**{f"{TASK_DOSSIER}__instructor_id": user.pk}))
            else:
                parts.append(Q())
        if not parts:
            return None
        scope = parts[0]
        for part in parts[1:]:
            scope |= part
        return Q(flow_task=self) & scope & (Q(owner__isnull=True) | Q(owner_id=user.pk))

    # viewflow permissions: nobody executes a stage through viewflow; assignment follows the queue
    def can_execute(self, user, task):
        return False

    def can_assign(self, user, task):
        if task.owner_id:
            return False
        return self.in_queue(user, task.process.coerced.dossier)

    def deadline(self, dossier):
        return getattr(dossier, self.deadline_field) if self.deadline_field else None


class StatusIs:
    """A Route condition: the dossier's (new) status is ``status``."""

    def __init__(self, status: str):
        self.status = Status(status)

    def __call__(self, activation) -> bool:
        return activation.process.dossier.status == self.status

    def __repr__(self):
        return f"StatusIs({self.status.value!r})"


class Route(flow.Switch):
    """After a stage: go where the dossier's new status says. No default branch on purpose."""

    def __init__(self, title: str):
        super().__init__()
        self.Annotation(title=title)

    def When(self, status: str, node) -> Route:
        self._activate_next.append((node, StatusIs(status)))
        return self

    def targets(self) -> dict:
        """``{status: next node}`` (after the flow class is built)."""
        return {cond.status: node for node, cond in self._activate_next}

    def _outgoing(self):
        for node, cond in self._activate_next:
            yield Edge(src=self, dst=node, edge_class="cond_true", label=cond.status.label)


class Ending(flow.End):
    """The process ends: the dossier reached the final status ``status``."""

    def __init__(self, status: str):
        super().__init__()
        if status not in FINAL_STATUSES:
            raise ValueError(f"{status!r} is not a final status")
        self.outcome = Status(status)
        self.Annotation(title=self.outcome.label)


def fsm_exits(status: str) -> list[dict]:
    """The dossier transitions out of ``status``, read from the state machine (never copied).

    ``[{"name", "label", "roles", "targets"}]`` sorted by name; ``targets`` lists every status the
    transition may lead to (several for a transition whose target is computed, e.g. ``settle``).
    """
    exits = []
    for t in Dossier._meta.get_field("status").get_all_transitions(Dossier):
        if t.source != status:
            continue
        targets = getattr(t.target, "allowed_states", None) or (t.target,)
        exits.append(
            {
                "name": t.name,
                "label": t.custom["label"],
                "roles": tuple(t.custom["roles"]),
                "targets": tuple(Status(target) for target in targets),
            }
        )
    return sorted(exits, key=lambda e: e["name"])
