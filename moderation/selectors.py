"""Reads of reports, and the targets a user may report."""

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from core.exceptions import NotFound
from friendships.selectors import can_see_tweets_of
from messaging.models import ConversationMember, Message
from moderation.models import Case, Report, Status, TargetType
from tweets.models import Comment, Tweet
from tweets.selectors import visible_to


def find_target_user_id(
    *, viewer: User, target_type: str, target_id: int | None, username: str | None
) -> tuple[int, int]:
    """(target id, id of the user it belongs to) for a target the viewer can see: a tweet
    (a retweet is reported as itself: its author chose to share), a comment on a tweet they
    can see, an active user, a message of a conversation they take part in. One query;
    NotFound otherwise, as for anything the viewer may not see (docs/safety.md). A block
    does not stop a report: blocking and reporting an abuser go together."""
    if target_type == TargetType.TWEET:
        row = Tweet.objects.filter(visible_to(viewer), pk=target_id).values_list("pk", "user_id")
    elif target_type == TargetType.COMMENT:
        row = Comment.objects.filter(
            can_see_tweets_of(viewer, "tweet__user"),
            pk=target_id,
            hidden_at__isnull=True,
            user__is_active=True,
            tweet__hidden_at__isnull=True,
            tweet__user__is_active=True,
        ).values_list("pk", "user_id")
    elif target_type == TargetType.USER:
        users = User.objects.filter(is_active=True)
        users = users.filter(username__iexact=username) if username else users.filter(pk=target_id)
        row = users.values_list("pk", "pk")
    else:
        member = ConversationMember.objects.filter(
            conversation_id=OuterRef("conversation_id"), user_id=viewer.pk
        )
        row = Message.objects.filter(
            Exists(member), pk=target_id, hidden_at__isnull=True, sender__is_active=True
        ).values_list("pk", "sender_id")
    found = row.first()
    if found is None:
        raise NotFound(f"No {target_type} with that id." if not username else "No such user.")
    return found


def list_reports(*, reporter: User) -> QuerySet:
    """The reporter's own reports, newest first."""
    return Report.objects.filter(reporter=reporter).order_by("-id")


def list_open_cases_of(*, user_id: int) -> QuerySet:
    """Open cases about the user or their content (a suspension resolves them all)."""
    return Case.objects.filter(target_user_id=user_id, status=Status.OPEN)
