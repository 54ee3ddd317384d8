"""The moderators' queue in /admin/: open cases first, the content shown, three actions."""

import pytest

from moderation.models import Case, ModerationAction
from tests.factories import CommentFactory, TweetFactory, UserFactory
from tests.moderation.conftest import case_of, report

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/case/"


@pytest.fixture
def staff_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def moderator(db):
    return UserFactory(username="mod", is_staff=True, is_superuser=True)


def test_the_queue_lists_open_cases_first_with_their_content(
    alice, alice_client, bob, staff_client, make_auth_client
):
    from moderation import services

    old = TweetFactory(user=bob, text="an old spam tweet")
    report(alice_client, "tweet", old)
    services.dismiss_case(moderator=None, case_id=case_of("tweet", old).pk)
    tweet = TweetFactory(user=bob, text="a reported tweet")
    comment = CommentFactory(tweet=TweetFactory(user=alice), user=bob, text="a rude comment")
    report(alice_client, "tweet", tweet)
    report(make_auth_client(), "tweet", tweet)
    report(alice_client, "comment", comment)
    report(alice_client, "user", bob)

    response = staff_client.get(QUEUE)

    assert response.status_code == 200
    page = response.content.decode()
    for text in ("a reported tweet", "a rude comment", "@bob", "an old spam tweet"):
        assert text in page
    # Open ones first (most recently reported first), the dismissed one last.
    assert page.index("@bob") < page.index("a rude comment") < page.index("a reported tweet")
    assert page.index("a reported tweet") < page.index("an old spam tweet")


def test_the_queue_costs_the_same_queries_for_one_case_and_many(
    alice_client, staff_client, django_assert_num_queries
):
    report(alice_client, "user", UserFactory())
    staff_client.get(QUEUE)
    # The session and its user, the count, the filtered count, the page with its content.
    with django_assert_num_queries(5):
        assert staff_client.get(QUEUE).status_code == 200
    for _ in range(10):
        report(alice_client, "tweet", TweetFactory(user=UserFactory()))
    with django_assert_num_queries(5):
        assert staff_client.get(QUEUE).status_code == 200


def test_a_case_page_shows_its_reports(alice_client, bob, staff_client):
    report(alice_client, "user", bob, comment="keeps insulting people")

    response = staff_client.get(f"{QUEUE}{case_of('user', bob).pk}/change/")

    assert response.status_code == 200
    assert "keeps insulting people" in response.content.decode()


@pytest.mark.parametrize(
    ("action", "status", "audit"),
    [("hide_content", "actioned", "hide"), ("dismiss", "dismissed", "dismiss")],
)
def test_the_actions_go_through_the_services(
    alice_client, bob, staff_client, moderator, action, status, audit
):
    tweet = TweetFactory(user=bob, text="spam")
    report(alice_client, "tweet", tweet)
    case = case_of("tweet", tweet)

    response = staff_client.post(
        QUEUE, {"action": action, "_selected_action": [case.pk]}, follow=True
    )

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == status
    row = ModerationAction.objects.get()
    assert (row.action, row.moderator) == (audit, moderator)
    tweet.refresh_from_db()
    assert (tweet.hidden_at is not None) == (audit == "hide")


def test_suspend_through_the_admin(alice_client, bob, staff_client):
    report(alice_client, "user", bob)

    staff_client.post(
        QUEUE, {"action": "suspend_user", "_selected_action": [case_of("user", bob).pk]}
    )

    bob.refresh_from_db()
    assert (bob.is_active, bob.suspended_at is not None) == (False, True)
    assert Case.objects.get().status == "actioned"


def test_reverse_through_the_admin(alice_client, bob, staff_client):
    report(alice_client, "user", bob)
    case = case_of("user", bob)
    staff_client.post(QUEUE, {"action": "suspend_user", "_selected_action": [case.pk]})

    response = staff_client.post(
        QUEUE, {"action": "reverse", "_selected_action": [case.pk]}, follow=True
    )

    assert "1 case(s) reversed." in response.content.decode()
    bob.refresh_from_db()
    assert (bob.is_active, bob.suspended_at) == (True, None)


def test_an_action_that_does_not_apply_is_refused_with_a_message(alice_client, bob, staff_client):
    report(alice_client, "user", bob)

    response = staff_client.post(
        QUEUE,
        {"action": "hide_content", "_selected_action": [case_of("user", bob).pk]},
        follow=True,
    )

    assert "A user is suspended, not hidden." in response.content.decode()
    assert Case.objects.get().status == "open"


def test_the_audit_trail_and_reports_open_for_staff(alice_client, bob, staff_client):
    from moderation import services

    report(alice_client, "user", bob)
    services.dismiss_case(moderator=None, case_id=case_of("user", bob).pk)

    for path in ("/admin/moderation/moderationaction/", "/admin/moderation/report/"):
        assert staff_client.get(path).status_code == 200
