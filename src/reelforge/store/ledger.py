"""The credit ledger: append-only entries; an account's balance is their sum.

``hold`` checks the balance and writes the hold in the caller's transaction, with the
account locked (``FOR UPDATE`` on PostgreSQL; SQLite write transactions are
``BEGIN IMMEDIATE`` and so already exclusive), so concurrent holds can never take an
account below zero. ``settle`` and ``refund`` happen at most once per task: the task's
``credits_final`` is set by a conditional update, and a unique (task, kind) pair backs it.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..errors import ReelforgeError
from .db import rows_changed
from .models import Account, LedgerEntry, Task, now_ms


class OutOfCredits(ReelforgeError):
    """The account's balance does not cover the hold (Kling's 1102)."""

    def __init__(self, balance: int, needed: int) -> None:
        self.balance, self.needed = balance, needed
        super().__init__(f"not enough credits: this task needs {needed}, the balance is {balance}")


def lock_account(s: Session, account_id: int) -> Account:
    """The account row, locked until the transaction ends (PostgreSQL; SQLite: already)."""
    return s.execute(select(Account).where(Account.id == account_id).with_for_update()).scalar_one()


def balance(s: Session, account_id: int) -> int:
    total = s.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.account_id == account_id
        )
    )
    return int(total or 0)


def grant(s: Session, account_id: int, amount: int, note: str = "") -> int:
    """Add credits; returns the new balance."""
    if amount <= 0:
        raise ValueError(f"a grant must be positive, not {amount}")
    lock_account(s, account_id)
    s.add(
        LedgerEntry(
            account_id=account_id, kind="grant", amount=amount, note=note, created_at=now_ms()
        )
    )
    s.flush()
    return balance(s, account_id)


def hold(s: Session, account: Account, task_id: str, amount: int) -> None:
    """Reserve ``amount`` for ``task_id`` or raise :class:`OutOfCredits` (nothing written)."""
    if not account.metered or amount <= 0:
        return
    lock_account(s, account.id)
    available = balance(s, account.id)
    if available < amount:
        raise OutOfCredits(available, amount)
    s.add(
        LedgerEntry(
            account_id=account.id, kind="hold", amount=-amount, task_id=task_id, created_at=now_ms()
        )
    )


def settle(s: Session, task: Task, final: int | None = None) -> bool:
    """Close a finished task's hold: charge ``final`` (default: the hold), return the rest.
    Returns ``False`` when the task was settled or refunded already."""
    final = task.credits_held if final is None else min(final, task.credits_held)
    return _close(s, task, final, "settle")


def refund(s: Session, task: Task) -> bool:
    """Return a failed task's whole hold; ``False`` when it was closed already."""
    return _close(s, task, 0, "refund")


def _close(s: Session, task: Task, final: int, kind: str) -> bool:
    done = s.execute(
        update(Task)
        .where(Task.id == task.id, Task.credits_final.is_(None))
        .values(credits_final=final)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(done) != 1:
        return False
    task.credits_final = final
    account = s.get_one(Account, task.account_id)
    back = task.credits_held - final
    if account.metered and task.credits_held > 0:
        s.add(
            LedgerEntry(
                account_id=task.account_id,
                kind=kind,
                amount=back,
                task_id=task.id,
                note=f"charged {final}",
                created_at=now_ms(),
            )
        )
    return True
