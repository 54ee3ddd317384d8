"""Reports and moderators' decisions (docs/safety.md, "Reports and moderation").

Each decision (hide content, suspend user, dismiss; later, reverse a hide or a suspension)
runs in one transaction: the change itself, the case and its reports resolved, the audit
row (ModerationAction) and the reporters' `report_resolved` notifications commit together
or not at all.
"""

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from core.exceptions import ApplicationError, Conflict, NotFound
from messaging import services as messaging_services
from moderation import selectors
from moderation.exceptions import CannotReportSelf
from moderation.models import Action, Case, ModerationAction, Report, Status, TargetType
from newsfeeds import services as newsfeed_services
from notifications import services as notification_services
from tweets import services as tweet_services


@transaction.atomic
def create_report(
    *,
    reporter: User,
    target_type: str,
    reason: str,
    target_id: int | None = None,
    username: str | None = None,
    comment: str = "",
) -> tuple[Report, bool]:
    """Report a target the reporter can see; (report, created). A repeat while the
    reporter's report on that target is open returns that report (created False) and
    changes nothing. Raises NotFound (a target the reporter cannot see) or
    CannotReportSelf."""
    target_id, owner_id = selectors.find_target_user_id(
        viewer=reporter, target_type=target_type, target_id=target_id, username=username
    )
    if owner_id == reporter.pk:
        raise CannotReportSelf()
    case = _open_case(target_type=target_type, target_id=target_id, owner_id=owner_id)
    existing = Report.objects.filter(case=case, reporter=reporter).first()
    if existing is not None:
        return existing, False
    report = Report.objects.create(
        case=case,
        reporter=reporter,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        comment=comment,
    )
    Case.objects.filter(pk=case.pk).update(
        reports_count=F("reports_count") + 1, last_reported_at=report.created_at
    )
    return report, True


def _open_case(*, target_type: str, target_id: int, owner_id: int) -> Case:
    """The target's open case, locked (created if there is none): concurrent reports of one
    target take turns on it, so a reporter's repeat finds their first report."""
    open_cases = Case.objects.select_for_update().filter(
        target_type=target_type, target_id=target_id, status=Status.OPEN
    )
    case = open_cases.first()
    if case is not None:
        return case
    try:
        with transaction.atomic():
            return Case.objects.create(
                target_type=target_type, target_id=target_id, target_user_id=owner_id
            )
    except IntegrityError:  # a concurrent first report opened it (one open case per target)
        return open_cases.get()


def _lock_open_case(case_id: int) -> Case:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("No case with that id.")
    if case.status != Status.OPEN:
        raise Conflict("This case is already resolved.")
    return case


def _resolve(*, case: Case, moderator: User | None, action: str) -> ModerationAction:
    """Close the case and its reports, write the audit row, tell each reporter."""
    status = Status.DISMISSED if action == Action.DISMISS else Status.ACTIONED
    now = timezone.now()
    reports = list(case.reports.filter(status=Status.OPEN).order_by("id"))
    Report.objects.filter(pk__in=[report.pk for report in reports]).update(
        status=status, resolved_at=now
    )
    Case.objects.filter(pk=case.pk).update(status=status, resolved_at=now)
    audit = _record(case, moderator, action, reports=reports, at=now)
    for report in reports:
        notification_services.notify_report_resolved(
            recipient_id=report.reporter_id, report_id=report.pk
        )
    return audit


def _record(
    case: Case, moderator: User | None, action: str, *, reports: list[Report], at=None
) -> ModerationAction:
    """The audit row of one decision on one case, and the reports it resolved."""
    audit = ModerationAction.objects.create(
        case=case,
        moderator=moderator,
        action=action,
        target_type=case.target_type,
        target_id=case.target_id,
        target_user_id=case.target_user_id,
        created_at=at or timezone.now(),
    )
    audit.reports.set(reports)
    return audit


@transaction.atomic
def hide_content(*, moderator: User | None, case_id: int) -> ModerationAction:
    """Hide the case's tweet, comment or message: it leaves every list and its detail
    answers 404. Raises NotFound, Conflict (already resolved), or ApplicationError
    `not_content` for a case about a user (suspend them instead)."""
    case = _lock_open_case(case_id)
    if case.target_type == TargetType.TWEET:
        tweet_services.hide_tweet(tweet_id=case.target_id)
    elif case.target_type == TargetType.COMMENT:
        tweet_services.hide_comment(comment_id=case.target_id)
    elif case.target_type == TargetType.MESSAGE:
        messaging_services.hide_message(message_id=case.target_id)
    else:
        raise ApplicationError("A user is suspended, not hidden.", code="not_content")
    return _resolve(case=case, moderator=moderator, action=Action.HIDE)


@transaction.atomic
def suspend_user(*, moderator: User | None, case_id: int) -> list[ModerationAction]:
    """Suspend the user the case is about (the content's author): tokens revoked, sockets
    closed, login answers 403 `account_suspended`, their content leaves every list and
    feed. Every open case about them or their content is resolved with it (one audit row
    each). Raises NotFound or Conflict (already resolved)."""
    case = _lock_open_case(case_id)
    user = User.objects.select_for_update().get(pk=case.target_user_id)
    account_services.suspend_user(user=user)
    newsfeed_services.withdraw_author(author=user)
    cases = selectors.list_open_cases_of(user_id=user.pk).select_for_update().order_by("id")
    return [_resolve(case=other, moderator=moderator, action=Action.SUSPEND) for other in cases]


@transaction.atomic
def reverse_decision(*, moderator: User | None, case_id: int) -> list[ModerationAction]:
    """Undo the case's hide or suspension: the content is shown again, or the user
    reinstated (they log in again; content and follows are back in every list). Reversing
    a suspension reverses it on every case it resolved, one audit row each. Reporters are
    not notified again. Raises NotFound, or Conflict for a case that is open, dismissed or
    already reversed, and for an account deleted since."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("No case with that id.")
    decision = _last_action(case.pk)
    if case.status != Status.ACTIONED or decision not in (Action.HIDE, Action.SUSPEND):
        raise Conflict("Only a hide or a suspension can be reversed, and only once.")
    if decision == Action.HIDE:
        UNHIDE[case.target_type](case.target_id)
        return [_record(case, moderator, Action.REVERSE, reports=[])]
    user = User.objects.select_for_update().get(pk=case.target_user_id)
    account_services.reinstate_user(user=user)
    suspended = (
        Case.objects.select_for_update()
        .filter(target_user_id=user.pk, status=Status.ACTIONED)
        .annotate(decision=Subquery(_actions_of(OuterRef("pk")).values("action")[:1]))
        .filter(decision=Action.SUSPEND)
        .order_by("id")
    )
    return [_record(other, moderator, Action.REVERSE, reports=[]) for other in suspended]


# Hidden content made visible again, by the case's target type.
UNHIDE = {
    TargetType.TWEET: lambda pk: tweet_services.unhide_tweet(tweet_id=pk),
    TargetType.COMMENT: lambda pk: tweet_services.unhide_comment(comment_id=pk),
    TargetType.MESSAGE: lambda pk: messaging_services.unhide_message(message_id=pk),
}


def _actions_of(case_id) -> QuerySet:
    """A case's decisions, the latest first."""
    return ModerationAction.objects.filter(case_id=case_id).order_by("-id")


def _last_action(case_id: int) -> str | None:
    return _actions_of(case_id).values_list("action", flat=True).first()


@transaction.atomic
def dismiss_case(*, moderator: User | None, case_id: int) -> ModerationAction:
    """Nothing to act on: the case and its reports are dismissed. Raises NotFound or
    Conflict (already resolved)."""
    case = _lock_open_case(case_id)
    return _resolve(case=case, moderator=moderator, action=Action.DISMISS)
